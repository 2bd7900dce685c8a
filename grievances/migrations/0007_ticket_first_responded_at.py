from django.db import migrations, models
from django.db.models import Exists, F, OuterRef, Subquery

# The kinds of event that answer the resident (acknowledging, starting work, resolving).
ANSWERING = ["acknowledged", "started", "resolved"]


def backfill(apps, schema_editor):
    """The first answer of every ticket, from its timeline (or the current tier's answer)."""
    Ticket = apps.get_model("grievances", "Ticket")
    TicketEvent = apps.get_model("grievances", "TicketEvent")
    answers = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind__in=ANSWERING)
    # Only the answered tickets' rows are rewritten: on a big table most of the rest never were.
    Ticket.objects.filter(Exists(answers)).update(first_responded_at=Subquery(answers.order_by("at").values("at")[:1]))
    Ticket.objects.filter(first_responded_at__isnull=True, responded_at__isnull=False).update(
        first_responded_at=F("responded_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("grievances", "0006_alter_ticketevent_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="first_responded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="first responded at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
