"""Migration 0031 on a live PostgreSQL: run again after stopping half-way, it goes on."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

LATEST = "0031_leaner_ticket_indexes"


def ticket_indexes() -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'grievances_ticket'"
        )
        return dict(cursor.fetchall())


def test_a_migration_that_stopped_half_way_runs_again_to_the_end():
    """A deploy killed after the partial indexes were built (one of them left invalid by a
    cancelled build) and before the bare ones were dropped: `migrate` again keeps the valid
    index, builds the invalid one again and drops the rest, instead of failing on an index
    that already exists."""
    call_command("migrate", "grievances", "0030", verbosity=0)
    before = ticket_indexes()
    assert "grievances_ticket_zone_id_747d5f72" in before and "ticket_partner_set" not in before
    try:
        # The half-done state: the four partial indexes built, one of them invalid, the
        # migration not recorded.
        call_command("migrate", "grievances", LATEST, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE app = 'grievances' AND name = %s", [LATEST])
            cursor.execute("CREATE INDEX grievances_ticket_zone_id_747d5f72 ON grievances_ticket (zone_id)")
            cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ticket_visit_set'::regclass")

        call_command("migrate", "grievances", LATEST, verbosity=0)

        after = ticket_indexes()
        assert all(after[name] for name in ("ticket_partner_set", "ticket_visit_set", "ticket_duplicate_of_set"))
        assert "grievances_ticket_zone_id_747d5f72" not in after
        assert "grievances_ticket_reference_07da288d_like" not in after
    finally:
        call_command("migrate", verbosity=0)
