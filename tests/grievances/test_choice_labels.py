"""A ticket's choice labels (core.choices.ChoiceLabels): the reader's language at each call,
and a value outside the choices shown as it is, as Django's own get_<field>_display does."""

from django.utils import translation

from grievances.models import Ticket


def test_labels_follow_the_active_language_and_unknown_values_show_themselves():
    ticket = Ticket(status="in_progress", tier="committee", urgency="emergency")

    with translation.override("zh-hans"):
        chinese = (ticket.get_status_display(), ticket.get_tier_display(), ticket.get_urgency_display())
    with translation.override("en"):
        english = (ticket.get_status_display(), ticket.get_tier_display(), ticket.get_urgency_display())
    ticket.status = "no-such-status"

    assert chinese == ("办理中", "居委会", "突发")
    assert english == ("in progress", "residential committee", "emergency")
    assert ticket.get_status_display() == "no-such-status"
