"""Number a request transfer form for each committee-to-street escalation made before
transfer records existed, in the order they happened (per street and year)."""

from django.db import migrations
from django.utils import timezone


def backfill(apps, schema_editor):
    TicketEvent = apps.get_model("grievances", "TicketEvent")
    TransferRecord = apps.get_model("escalation", "TransferRecord")
    TransferSequence = apps.get_model("escalation", "TransferSequence")
    counters: dict[tuple[int, int], int] = {}
    records = []
    events = (
        TicketEvent.objects.filter(kind="escalated", from_tier="committee")
        .select_related("ticket__street")
        .order_by("at", "pk")
    )
    for event in events.iterator():
        ticket = event.ticket
        year = timezone.localtime(event.at).year
        number = counters[(ticket.street_id, year)] = counters.get((ticket.street_id, year), 0) + 1
        records.append(
            TransferRecord(
                number=f"{ticket.street.code}-ZJ-{year}-{number:04d}",
                ticket=ticket,
                committee_id=ticket.committee_id,
                street_id=ticket.street_id,
                reason=event.note,
                created_at=event.at,
            )
        )
    TransferRecord.objects.bulk_create(records, batch_size=1000)
    for (street_id, year), last in counters.items():
        TransferSequence.objects.create(street_id=street_id, year=year, last_value=last)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0004_transferrecord_meeting_transferrecord_street_and_more")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
