"""Every word a resident reads from us, written by the product: the SMS and the timeline of
their page. Nothing here is a staff member's name or an internal note; the only text staff
wrote that a resident sees is the stated reason of an explained outcome (办了满意，未办有因:
the reason is owed to the resident) and their own request."""

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.enums import CancelReason, Outcome, Status, Tier
from grievances.models import Feedback, TicketEvent

# The longest stated reason an SMS carries before "…": one message where possible.
SMS_REASON_CHARS = 30

TIER_WORDS = {
    Tier.ZONE: gettext_lazy("the neighbourhood service team"),
    Tier.COMMITTEE: gettext_lazy("the residential committee"),
    Tier.STREET: gettext_lazy("the street office"),
}

STATUS_WORDS = {
    Status.NEW: gettext_lazy("Received, waiting to be taken up"),
    Status.ACKNOWLEDGED: gettext_lazy("Taken up"),
    Status.IN_PROGRESS: gettext_lazy("Being dealt with"),
    Status.REFERRED: gettext_lazy("Passed to a department"),
    Status.RESOLVED: gettext_lazy("Dealt with: tell us if you are satisfied"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.CANCELLED: gettext_lazy("Cancelled"),
}
# A resolved ticket that could not be done, with its stated reason (未办有因).
ANSWERED_WORDS = gettext_lazy("Answered with a reason: tell us if you are satisfied")


def shorten(text: str, limit: int = SMS_REASON_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_date(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def sms_text(kind: str, params: dict[str, str]) -> str:
    """The message of `kind` in the product's language (Chinese), from its parameters."""
    with translation.override(settings.LANGUAGE_CODE):
        if kind == "received":
            return _("Your request %(ref)s has been received. Follow it here: %(link)s Reply TD to stop.") % params
        if kind == "moved":
            return _("Your request %(ref)s has been passed to %(unit)s. Progress: %(link)s") % params
        if kind == "resolved":
            return _("Your request %(ref)s has been dealt with. Tell us if you are satisfied: %(link)s") % params
        if kind == "explained":
            return (
                _("Your request %(ref)s has been answered: %(reason)s. Tell us if you are satisfied: %(link)s") % params
            )
        if kind == "reminder":
            return (
                _("Your request %(ref)s was dealt with. Please tell us by %(date)s if you are satisfied: %(link)s")
                % params
            )
    raise ValueError(f"No such message: {kind!r}")


def unit_words(event: TicketEvent) -> str:
    """Where an escalation or a referral sent the matter, in plain words."""
    if event.kind == TicketEvent.Kind.REFERRED:
        return event.data.get("department_name") or _("a department")
    return str(TIER_WORDS.get(event.to_tier, ""))


def timeline_line(event: TicketEvent) -> str | None:
    """What an event says to the resident; None for what is internal (owners, flags,
    meetings, a department's working notes)."""
    kind = event.kind
    Kind = TicketEvent.Kind
    if kind == Kind.CREATED:
        return _("Request received")
    if kind == Kind.ACKNOWLEDGED:
        return _("Taken up")
    if kind == Kind.STARTED:
        return _("Work started")
    if kind in (Kind.REFERRED, Kind.ESCALATED):
        return _("Passed to %(unit)s") % {"unit": unit_words(event)}
    if kind == Kind.DEPARTMENT_REPLIED:
        departments = "、".join(event.data.get("departments", [])) or _("The department")
        return _("%(unit)s answered") % {"unit": departments}
    if kind == Kind.RESOLVED:
        if event.data.get("outcome") == Outcome.EXPLAINED:
            return _("Answered, with the reason it could not be done")
        return _("Dealt with")
    if kind == Kind.CLOSED:
        return _("Closed")
    if kind == Kind.REOPENED:
        return _("Taken up again at your word") if event.actor_label == RESIDENT else _("Taken up again")
    if kind == Kind.CANCELLED:
        reason = event.data.get("reason")
        label = CancelReason(reason).label if reason in CancelReason.values else ""
        return _("Cancelled (%(reason)s)") % {"reason": label} if label else _("Cancelled")
    if kind == Kind.ALSO_REPORTED:
        return _("Another resident reported the same problem: it is handled as one")
    if kind == Kind.FEEDBACK:
        satisfaction = event.data.get("satisfaction")
        label = Feedback.Satisfaction(satisfaction).label if satisfaction in Feedback.Satisfaction.values else ""
        return _("Verdict recorded: %(verdict)s") % {"verdict": label}
    return None


# Who acted when the resident did (their verdict, a reopening at their word): the events'
# `actor_label`.
RESIDENT = "resident"
