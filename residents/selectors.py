"""What the resident's page shows: their own request, in resident-facing words only."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from core.enums import Outcome, Status, Tier
from grievances.models import Feedback, Ticket

from . import texts
from .models import SmsOptOut
from .services import opted_out, verdict_open
from .tokens import resident_phone


@dataclass
class ResidentView:
    """The page's facts. `timeline()` and `departments()` query only when the page's cached
    parts (views._request_parts) are rendered again, after the ticket changed."""

    ticket: Ticket
    status_words: str
    unit: str
    due_label: str
    due: dt.datetime | None
    outcome_solved: bool
    reason: str
    verdict_open: bool
    verdict: Feedback | None
    opted_out: bool

    def timeline(self) -> list[tuple[dt.datetime, str]]:
        events = self.ticket.events.only("kind", "at", "actor_label", "to_tier", "data", "ticket_id")
        return [(event.at, line) for event in events.order_by("at", "pk") if (line := texts.timeline_line(event))]

    def departments(self) -> list[str]:
        if self.ticket.status != Status.REFERRED:
            return []
        waiting = self.ticket.referrals.filter(answered_at__isnull=True, withdrawn_at__isnull=True)
        return list(waiting.order_by("pk").values_list("department__name", flat=True))


def _opted_out(ticket: Ticket, phone: str | None) -> bool:
    if phone is None:
        return True
    # page_ticket's answer holds when the number is stored as it is dialled (11 digits);
    # one stored as +86 138... is looked up by its digits.
    known = getattr(ticket, "stored_phone_opted_out", None)
    return known if known is not None and phone == ticket.reporter_phone else opted_out(phone)


def page_ticket(pk: int) -> Ticket | None:
    """The ticket with its places, and whether its phone, as stored, opted out (one query)."""
    opted = SmsOptOut.objects.filter(phone=OuterRef("reporter_phone"))
    tickets = Ticket.objects.select_related("category", "zone", "committee", "street")
    return tickets.annotate(stored_phone_opted_out=Exists(opted)).filter(pk=pk).first()


def resident_view(ticket: Ticket) -> ResidentView:
    """For a resolved or closed ticket one query besides the ticket's (the verdict); the
    events and referrals wait for `timeline()`/`departments()`."""
    units = {Tier.ZONE: ticket.zone, Tier.COMMITTEE: ticket.committee, Tier.STREET: ticket.street}
    unit = units.get(ticket.tier)
    due_label, due = "", None
    if ticket.status == Status.REFERRED:
        due_label, due = "answer", ticket.answer_by
    elif ticket.status in (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS):
        due_label, due = "resolve", ticket.resolve_by
    elif ticket.status == Status.RESOLVED:
        due_label, due = "verdict", ticket.feedback_due_by
    verdict = None
    can_judge = verdict_open(ticket)
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and not can_judge:
        verdict = ticket.feedback.filter(collected_via=Feedback.Via.RESIDENT).order_by("-created_at").first()
    phone = getattr(ticket, "resident_phone_here", None) or resident_phone(ticket)
    return ResidentView(
        ticket=ticket,
        status_words=str(
            texts.ANSWERED_WORDS
            if ticket.status == Status.RESOLVED and ticket.outcome == Outcome.EXPLAINED
            else texts.STATUS_WORDS[ticket.status]
        ),
        unit=unit.name if unit is not None else "",
        due_label=due_label,
        due=due,
        outcome_solved=ticket.outcome == Outcome.SOLVED,
        reason=ticket.outcome_reason if ticket.outcome == Outcome.EXPLAINED else "",
        verdict_open=can_judge,
        verdict=verdict,
        opted_out=_opted_out(ticket, phone),
    )
