"""The application's database role (scripts/db-roles.sql) can do its work but cannot undo
the guarantees the tables carry: the event log stays append-only, an issued report stays as
issued, whatever the role tries — UPDATE, DELETE, TRUNCATE or switching the triggers off."""

import datetime as dt
import secrets
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from reports.services import monthly_report_generate
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "db-roles.sql"


@pytest.fixture
def app_role():
    """The test database with the application's role granted as docker-compose grants it;
    yields a connection as that role, and drops the role afterwards."""
    settings = connection.settings_dict
    name, password = f"zhitong_app_{secrets.token_hex(4)}", secrets.token_hex(8)
    owner_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    subprocess.run(
        [
            "psql",
            owner_url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"owner_role={settings['USER']}",
            "-v",
            f"app_role={name}",
            "-v",
            f"app_password={password}",
            "-f",
            str(SCRIPT),
        ],
        check=True,
        capture_output=True,
    )
    app = psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=name,
        password=password,
    )
    app.autocommit = True
    try:
        yield app
    finally:
        app.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


def refused(app, sql: str) -> str:
    """Run `sql` as the application; the error PostgreSQL answered (the test fails if none)."""
    with app.cursor() as cursor, pytest.raises(psycopg.Error) as error:
        cursor.execute(sql)
    return str(error.value)


def test_the_application_role_works_but_cannot_undo_the_log_or_an_issued_report(app_role):
    # given a ticket with its timeline and an issued report, written as the owner
    ticket = make_ticket()
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    monthly_report_generate(street=ticket.street, month=last_month)

    # the application's ordinary work goes through
    with app_role.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM grievances_ticketevent WHERE ticket_id = %s", [ticket.pk])
        assert cursor.fetchone()[0] == 1
        cursor.execute("UPDATE grievances_ticket SET description = description WHERE id = %s", [ticket.pk])

    # and what would undo a guarantee is refused, by the trigger or for want of ownership
    assert "append-only" in refused(app_role, "UPDATE grievances_ticketevent SET note = 'x'")
    assert "append-only" in refused(app_role, "DELETE FROM grievances_ticketevent")
    assert "permission denied" in refused(app_role, "TRUNCATE grievances_ticketevent CASCADE")
    assert "must be owner" in refused(app_role, "ALTER TABLE grievances_ticketevent DISABLE TRIGGER ALL")
    assert "as it was issued" in refused(app_role, "UPDATE reports_monthlyreport SET data = '{}'")
    assert "as it was issued" in refused(app_role, "DELETE FROM reports_monthlyreport")
    assert "must be owner" in refused(app_role, "ALTER TABLE reports_monthlyreport DISABLE TRIGGER ALL")


def test_truncate_is_refused_by_the_trigger_even_where_it_is_granted(app_role):
    make_ticket()
    with connection.cursor() as cursor:  # a careless GRANT ALL by an operator
        cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role.info.user}"')

    assert "TRUNCATE refused" in refused(app_role, "TRUNCATE grievances_ticketevent CASCADE")
    assert "TRUNCATE refused" in refused(app_role, "TRUNCATE reports_monthlyreport")
