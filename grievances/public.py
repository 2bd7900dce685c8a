"""The public view of a ticket: what anyone may read of it without a key or a login (DESIGN.md
rule 9, issue 17). The one place that decides it; the public Open311 view renders it, and any
other page for the public (a resident's own page, a public summary) should too.

Shown: the category (code and name), open or closed, resident-facing status notes, when it was
received and last changed, the unit answering for it (zone, committee or street: names of
places, not of people). Only when the category is marked public (`Category.public`, the
admin): the description, the address and the point — a household's matter by its building
(楼/弄), never the flat. Never a resident's name or phone: the
ticket's reporter fields and the household's contact are not read at all, and the texts that
are shown (description, status notes) have the reporter's and household contact's names and
anything that looks like a phone number starred out, since residents and staff write them
into free text.
"""

import re

from django.db.models import QuerySet

from core.enums import OPEN_STATUSES, CancelReason, Outcome, Status, Tier

from .models import Ticket

# Resident-facing words, in Chinese whatever language the caller's headers ask for: clients
# (Open311 apps, the street's website) show status notes to residents as they are.
TIER_NOTES = {Tier.ZONE: "责任区办理中", Tier.COMMITTEE: "居委会办理中", Tier.STREET: "街道办理中"}
REFERRED_NOTE = "已转职能部门办理"
CANCEL_NOTES = {
    CancelReason.DUPLICATE: "重复诉求，并入原诉求办理",
    CancelReason.WITHDRAWN: "居民已撤回",
    CancelReason.INVALID: "不属于受理范围，已撤销",
}

# A mobile (11 digits from 1), a landline with or without its area code, written with or
# without spaces or dashes: seven digits or more in a row, separators allowed.
PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?\d(?:[\s-]?\d){6,}(?!\d)")

# The columns the public view reads; names and phones are not among them, except the two
# names it stars out of the texts it shows.
PUBLIC_COLUMNS = (
    "reference",
    "status",
    "tier",
    "outcome",
    "outcome_reason",
    "cancel_reason",
    "created_at",
    "updated_at",
    "description",
    "address",
    "lat",
    "long",
    "reporter_name",
    "category__code",
    "category__name",
    "category__public",
    "zone__name",
    "committee__name",
    "street__name",
    "household__contact_name",
    "household__building__name",
)


def public_tickets() -> QuerySet[Ticket]:
    """Every ticket, with just what the public view reads, in one query."""
    return Ticket.objects.select_related("category", "zone", "committee", "street", "household__building").only(
        *PUBLIC_COLUMNS
    )


def redact(text: str, *names: str) -> str:
    """`text` with the given names and anything that looks like a phone number starred out."""
    for name in sorted({name.strip() for name in names if name and len(name.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, "**")
    return PHONE_LIKE.sub("***", text)


def status_notes(ticket: Ticket) -> str:
    """Where the matter stands, in a resident's words: the outcome or the reason it was not
    done, the tier handling it, a department, or why it was cancelled."""
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        if ticket.outcome == Outcome.EXPLAINED:
            return f"未能办理，原因：{ticket.outcome_reason}"
        return f"已解决：{ticket.outcome_reason}" if ticket.outcome_reason else "已解决"
    if ticket.status == Status.CANCELLED:
        return CANCEL_NOTES[ticket.cancel_reason]
    if ticket.status == Status.REFERRED:
        return REFERRED_NOTE
    return TIER_NOTES[ticket.tier]


def _names(ticket: Ticket) -> tuple[str, ...]:
    household = ticket.household if ticket.household_id else None
    return (ticket.reporter_name, household.contact_name if household else "")


def _place(ticket: Ticket, names) -> str | None:
    """Where the matter is, not whose home: a household's matter by its building (or not at
    all), an address given without a household as given."""
    if ticket.household_id:
        building = ticket.household.building
        return building.name if building is not None else None
    return redact(ticket.address, *names) or None


def public_view(ticket: Ticket) -> dict:
    """The ticket as anyone may see it (read it from `public_tickets()`)."""
    shown = ticket.category.public
    names = _names(ticket)
    return {
        "reference": ticket.reference,
        "category_code": ticket.category.code,
        "category_name": ticket.category.name,
        "open": ticket.status in OPEN_STATUSES,
        "status_notes": redact(status_notes(ticket), *names),
        "unit": str(ticket.responsible_unit),
        "received_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "description": redact(ticket.description, *names) if shown else None,
        "address": _place(ticket, names) if shown else None,
        "lat": ticket.lat if shown else None,
        "long": ticket.long if shown else None,
    }
