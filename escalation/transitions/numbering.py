"""Gap-free numbers per street and year: ticket references and request transfer forms."""

import datetime as dt

from django.db import connection, models
from django.utils import timezone

from core.bulk import insert_many
from grievances.models import Ticket, TicketSequence
from responders.models import StreetOffice

from ..models import TransferRecord, TransferSequence


def allocate_numbers(sequence: type[models.Model], street_id: int, year: int, count: int = 1) -> range:
    """The next `count` numbers of a per-street, per-year sequence table, gap-free under
    concurrency: one upsert, whose row lock holds off other writers until commit."""
    table = sequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (street_id, year, last_value) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (street_id, year) DO UPDATE SET last_value = "
            f"{table}.last_value + EXCLUDED.last_value RETURNING last_value",
            [street_id, year, count],
        )
        (last,) = cursor.fetchone()
    return range(last - count + 1, last + 1)


def next_reference(street: StreetOffice, now: dt.datetime) -> str:
    """WLQ-2026-000123: per street and year."""
    year = timezone.localtime(now).year
    (value,) = allocate_numbers(TicketSequence, street.pk, year)
    return f"{street.code}-{year}-{value:06d}"


def number_transfers(transfers: list[tuple[Ticket, str]], now: dt.datetime) -> None:
    """Number a request transfer form for each ticket a committee passed to its street:
    WLQ-ZJ-2026-0001, per street and year."""
    year = timezone.localtime(now).year
    by_street: dict[int, list[tuple[Ticket, str]]] = {}
    for ticket, reason in transfers:
        by_street.setdefault(ticket.street_id, []).append((ticket, reason))
    codes = dict(StreetOffice.objects.filter(pk__in=by_street).values_list("pk", "code"))
    records = []
    for street_id, items in sorted(by_street.items()):
        numbers = allocate_numbers(TransferSequence, street_id, year, len(items))
        for (ticket, reason), number in zip(items, numbers, strict=True):
            records.append(
                TransferRecord(
                    number=f"{codes[street_id]}-ZJ-{year}-{number:04d}",
                    ticket=ticket,
                    committee_id=ticket.committee_id,
                    street_id=street_id,
                    reason=reason,
                    created_at=now,
                )
            )
    insert_many(records)
