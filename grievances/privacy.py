"""Residents' personal data (DESIGN.md rule 9): the access log's one writer, a household's
data as exported on the resident's request, its erasure, and the retention of visit notes.

Who may see, export or erase is not decided here but by `escalation.policy` (which sits
above this app); the screens go through `escalation.personal_data`, which asks the policy and
then calls these. `manage.py household_data` calls them directly: whoever runs it on the
server is an operator.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.errors import InvalidInput
from core.locks import lock_one

from .models import Household, PersonalDataAccess, Ticket, Visit

logger = logging.getLogger(__name__)

# What an erased name becomes: the record stays, the person is no longer in it.
ANONYMISED = "已匿名"

HOUSEHOLD_FIELDS = ("contact_name", "phone", "care_flags", "notes")
# Sent inside an erasure's transaction with `household` and `ticket_ids`, so that apps above
# this one scrub their own copies of the tickets' reporters (api: webhook payloads and
# replayable first responses) in the same transaction.
household_erased = Signal()
REPORTER_FIELDS = ("reporter_name", "reporter_phone")

How = PersonalDataAccess.How
Subject = PersonalDataAccess.Subject


def record_access(
    *,
    how: str,
    subject: str,
    ids,
    fields,
    user=None,
    partner_id: int | None = None,
    actor_label: str = "",
    path: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> PersonalDataAccess | None:
    """Log that `user` (or a partner, or a command: `actor_label`) was shown `fields` of the
    `subject` records `ids`, `how` (a page, a list, the API, an export...). One row however
    many records a page showed; nothing when it showed none."""
    ids = sorted({int(pk) for pk in ids})
    if not ids:
        return None
    user = user if user is not None and getattr(user, "pk", None) is not None else None
    return PersonalDataAccess.objects.create(
        at=clock.now(now),
        user=user,
        partner_id=partner_id,
        actor_label=actor_label[:100],
        how=how,
        subject=subject,
        object_ids=ids,
        fields=list(fields),
        path=path[:255],
        note=note,
    )


# --- a household's data, exported and erased -------------------------------------------------


def tickets_of(household: Household) -> QuerySet[Ticket]:
    """The tickets that carry the household's personal data: those filed for it, and those of
    its street whose reporter gave the household's phone number."""
    condition = Q(household=household)
    if household.phone:
        condition |= Q(street_id=household.zone.committee.street_id, reporter_phone=household.phone)
    return Ticket.objects.filter(condition)


def _time(value):
    return timezone.localtime(value).isoformat() if value else None


def household_data(household: Household) -> dict:
    """Everything Zhitong holds on the household and its people: the household, its visits,
    its tickets with their timelines and the resident's feedback (a JSON-ready dict)."""
    zone = household.zone
    visits = household.visits.prefetch_related("visitors").order_by("visited_on", "pk")
    tickets = (
        tickets_of(household)
        .select_related("category")
        .prefetch_related("events", "feedback")
        .order_by("created_at", "pk")
    )
    return {
        "format": "zhitong.household/1",
        "household": {
            "id": household.pk,
            "address": household.address,
            "building": household.building.name if household.building_id else "",
            "zone": zone.name,
            "committee": zone.committee.name,
            "street": zone.committee.street.name,
            "contact_name": household.contact_name,
            "phone": household.phone,
            "household_type": household.household_type,
            "elderly_living_alone": household.elderly_living_alone,
            "low_income": household.low_income,
            "disability": household.disability,
            "notes": household.notes,
            "created_at": _time(household.created_at),
            "personal_data_erased_at": _time(household.erased_at),
        },
        "visits": [
            {
                "visited_on": visit.visited_on.isoformat(),
                "method": visit.method,
                "result": visit.result,
                "visitors": [member.name for member in visit.visitors.all()],
                "notes": visit.notes,
            }
            for visit in visits
        ],
        "tickets": [
            {
                "reference": ticket.reference,
                "category": ticket.category.name,
                "description": ticket.description,
                "channel": ticket.channel,
                "urgency": ticket.urgency,
                "address": ticket.address,
                "reporter_name": ticket.reporter_name,
                "reporter_phone": ticket.reporter_phone,
                "status": ticket.status,
                "tier": ticket.tier,
                "created_at": _time(ticket.created_at),
                "resolved_at": _time(ticket.resolved_at),
                "closed_at": _time(ticket.closed_at),
                "outcome": ticket.outcome,
                "outcome_reason": ticket.outcome_reason,
                "timeline": [
                    {
                        "at": _time(event.at),
                        "kind": event.kind,
                        "from_status": event.from_status,
                        "to_status": event.to_status,
                        "from_tier": event.from_tier,
                        "to_tier": event.to_tier,
                        "note": event.note,
                    }
                    for event in ticket.events.all()
                ],
                "feedback": [
                    {
                        "at": _time(item.created_at),
                        "satisfaction": item.satisfaction,
                        "comment": item.comment,
                        "collected_via": item.collected_via,
                    }
                    for item in ticket.feedback.all()
                ],
            }
            for ticket in tickets
        ],
    }


def export_household(household: Household, *, note: str = "", user=None, actor_label: str = "", path: str = "") -> dict:
    """`household_data`, logged as an export of the household and of its tickets."""
    data = household_data(household)
    ticket_ids = tickets_of(household).values_list("pk", flat=True)
    with transaction.atomic():
        who = {"user": user, "actor_label": actor_label, "path": path, "note": note, "how": How.EXPORT}
        record_access(subject=Subject.HOUSEHOLD, ids=[household.pk], fields=HOUSEHOLD_FIELDS, **who)
        record_access(subject=Subject.TICKET, ids=ticket_ids, fields=REPORTER_FIELDS, **who)
    return data


@dataclass(frozen=True)
class Erasure:
    household: Household
    ticket_ids: list[int]
    visits: int


def erase_household(
    household: Household, *, reason: str, user=None, actor_label: str = "", path: str = "", now=None
) -> Erasure:
    """Erase the household's personal data at the resident's request; irreversible.

    The household keeps its address (the dwelling, which visit coverage counts) and its type;
    its contact name becomes 已匿名, its phone, care flags and notes are cleared, and the notes
    of its visits too. Its tickets (`tickets_of`) keep their record — what was asked, where,
    what was done — with the reporter anonymised. Left as they are: the tickets' descriptions
    and outcomes, the residents' feedback comments and the timeline's notes (the event log is
    append-only), which are the matter's record and should not name the person. Who erased and
    why is in the access log, and on the household (`erased_at`, `erased_by`). Other apps'
    copies of the reporters are scrubbed by the receivers of `household_erased`."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the data is erased (the resident's request)."), field="reason")
    now = clock.now(now)
    with transaction.atomic():
        household = lock_one(Household.objects.select_related("zone__committee"), household.pk)
        ticket_ids = sorted(tickets_of(household).values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=ticket_ids).update(reporter_name=ANONYMISED, reporter_phone="", updated_at=now)
        visits = household.visits.exclude(notes="").update(notes="")
        household.contact_name = ANONYMISED
        household.phone = ""
        household.elderly_living_alone = household.low_income = household.disability = False
        household.notes = ""
        household.erased_at = now
        household.erased_by = user if getattr(user, "pk", None) is not None else None
        household.save(
            update_fields=[
                "contact_name",
                "phone",
                "elderly_living_alone",
                "low_income",
                "disability",
                "notes",
                "erased_at",
                "erased_by",
                "updated_at",
            ]
        )
        who = {"user": user, "actor_label": actor_label, "path": path, "note": reason, "how": How.ERASE, "now": now}
        record_access(subject=Subject.HOUSEHOLD, ids=[household.pk], fields=HOUSEHOLD_FIELDS, **who)
        record_access(subject=Subject.TICKET, ids=ticket_ids, fields=REPORTER_FIELDS, **who)
        household_erased.send(sender=Household, household=household, ticket_ids=ticket_ids)
    return Erasure(household, ticket_ids, visits)


# --- retention ---------------------------------------------------------------------------------


def purge_visit_notes(*, today: dt.date | None = None, keep_days: int | None = None) -> int:
    """Blank the notes of visits older than `keep_days` (ZHITONG_VISIT_NOTES_KEEP_DAYS; 0 keeps
    them for ever); the visits themselves stay, for coverage. Returns how many were blanked."""
    keep_days = settings.ZHITONG_VISIT_NOTES_KEEP_DAYS if keep_days is None else keep_days
    if keep_days <= 0:
        return 0
    today = today or timezone.localdate()
    old = Visit.objects.filter(visited_on__lt=today - dt.timedelta(days=keep_days)).exclude(notes="")
    blanked = old.update(notes="")
    if blanked:
        logger.info("Blanked the notes of %s visits older than %s days.", blanked, keep_days)
    return blanked
