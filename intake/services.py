"""Writes about residents' requests. Ticket state itself moves only through escalation.transitions."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import ServiceItem
from catalogue.selectors import items_for_street
from core import clock
from core.enums import Channel, Outcome, ResumeHow, Urgency
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from core.geo import check_point
from escalation.photos import visit_photos_add
from escalation.policy import acts_for
from escalation.transitions import (
    Actor,
    resume_on_resident_answer,
    ticket_add_reporter,
    ticket_open,
    ticket_record_feedback,
    ticket_resolve,
)
from grievances.models import Building, Category, Feedback, Household, Ticket, Visit
from responders.models import (
    PartnerSystem,
    ResidentialCommittee,
    ResponsibilityZone,
    StreetOffice,
    TeamMembership,
    User,
)

DESCRIPTION_MAX = 4000
# The category every service application is filed under (seeded by a migration).
SERVICE_CATEGORY = "service"


def ticket_create(
    *,
    actor: Actor,
    category: Category,
    description: str,
    channel: str,
    urgency: str = Urgency.NORMAL,
    household: Household | None = None,
    zone: ResponsibilityZone | None = None,
    committee: ResidentialCommittee | None = None,
    street: StreetOffice | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    partner: PartnerSystem | None = None,
    external_id: str = "",
    visit: Visit | None = None,
    lat: float | str | None = None,
    long: float | str | None = None,
    service_item: ServiceItem | None = None,
    documents_received: list[str] = (),
    route_by_list: bool = True,
    savepoint: bool = True,
    unnumbered: Callable[[Ticket], None] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Validate a request and open its ticket where it belongs.

    Where: a household (which gives its zone), a zone, or a free address with the committee
    or street it falls in. Every error names its field; nothing is written unless all is well.
    The point: `lat` and `long` (both or neither, in range), else the household's building's.
    `savepoint` and `unnumbered`: as `ticket_open` says.
    """
    point = check_point(lat, long)
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Describe the request."), code="required", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            _("The description is %(n)s characters; at most %(max)s.")
            % {"n": len(description), "max": DESCRIPTION_MAX},
            field="description",
        )
    if not category.active:
        raise InvalidInput(_("Category %(name)s is no longer in use.") % {"name": category}, field="category")
    if urgency not in Urgency.values:
        raise InvalidInput(_("Choose an urgency: normal, urgent or emergency."), field="urgency")
    if channel not in Channel.values:
        raise InvalidInput(_("Choose the channel the request came in by."), field="channel")
    address = (address or "").strip()

    if household is not None:
        if zone is not None and zone.pk != household.zone_id:
            raise InvalidInput(_("That household is not in zone %(name)s.") % {"name": zone}, field="zone")
        zone = household.zone
        address = address or household.address
        if point is None:
            point = building_point(household)
    if zone is not None:
        if committee is not None and committee.pk != zone.committee_id:
            raise InvalidInput(_("That place is not in committee %(name)s.") % {"name": committee}, field="committee")
        committee = zone.committee
    if committee is not None:
        if street is not None and street.pk != committee.street_id:
            raise InvalidInput(_("That place is not in street %(name)s.") % {"name": street}, field="street")
        street = committee.street
    if street is None:
        raise InvalidInput(
            _("Say where the request comes from: a household, a zone, or an address with its committee or street."),
            code="required",
            field="address" if address else "zone",
        )
    if household is None and zone is None and not address:
        raise InvalidInput(_("Give the address the request is about."), code="required", field="address")
    documents_received = _check_application(service_item, documents_received, urgency, street)
    if external_id and partner is None:
        raise InvalidInput(_("An external id needs its partner system."), field="external_id")
    if external_id:
        existing = Ticket.objects.filter(partner=partner, external_id=external_id).first()
        if existing is not None:
            raise InvalidTransition(
                _("This partner's external id %(id)s is already on ticket %(ref)s.")
                % {"id": external_id, "ref": existing.reference},
                code="duplicate_external_id",
            )

    return ticket_open(
        actor=actor,
        category=category,
        description=description,
        urgency=urgency,
        channel=channel,
        street=street,
        committee=committee,
        zone=zone,
        household=household,
        address=address,
        reporter_name=(reporter_name or "").strip(),
        reporter_phone=(reporter_phone or "").strip(),
        partner=partner,
        external_id=external_id,
        visit=visit,
        point=point,
        service_item=service_item,
        documents_received=documents_received,
        route_by_list=route_by_list,
        savepoint=savepoint,
        unnumbered=unnumbered,
        now=now,
    )


def _check_application(item: ServiceItem | None, documents: list[str], urgency: str, street: StreetOffice) -> list[str]:
    """An application's item is one the street's windows offer; its documents are among the
    item's (in the item's order); it is ordinary or urgent (急事特办), not an emergency."""
    if item is None:
        if documents:
            raise InvalidInput(_("Documents come with a service item."), field="documents")
        return []
    if not items_for_street(street.pk).filter(pk=item.pk).exists():
        raise InvalidInput(_("This street's windows do not offer %(item)s.") % {"item": item}, field="service_item")
    if urgency == Urgency.EMERGENCY:
        raise InvalidInput(_("An application is ordinary or urgent."), field="urgency")
    needed = item.document_list
    unknown = [document for document in documents if document not in needed]
    if unknown:
        raise InvalidInput(
            _("%(document)s is not among the documents %(item)s needs.") % {"document": unknown[0], "item": item},
            field="documents",
        )
    return [document for document in needed if document in documents]


def service_apply(
    *,
    actor: Actor,
    item: ServiceItem,
    channel: str = Channel.WALK_IN,
    urgency: str = Urgency.NORMAL,
    documents_received: list[str] = (),
    description: str = "",
    **where,
) -> Ticket:
    """A resident applies for an item of the service catalogue at a window (一口受理): a
    ticket of kind "service", answered for by the unit that completes the item, due by the
    item's time limit on the working-day calendar, with the documents the window checked off.
    `where`: the resident and the place, as ticket_create takes them."""
    category = Category.objects.filter(code=SERVICE_CATEGORY).first()
    if category is None:
        raise InvalidTransition(_("The service category is missing: add it in the admin."), code="no_category")
    return ticket_create(
        actor=actor,
        category=category,
        description=(description or "").strip() or str(item),
        channel=channel,
        urgency=urgency,
        service_item=item,
        documents_received=list(documents_received),
        **where,
    )


def building_point(household: Household) -> tuple[float, float] | None:
    """The point of the household's building, if it has one (None without a building)."""
    if household.building_id is None:
        return None
    if Household.building.is_cached(household):
        building = household.building
        return (building.lat, building.long) if building.lat is not None else None
    row = Building.objects.filter(pk=household.building_id, lat__isnull=False).values_list("lat", "long").first()
    return tuple(row) if row else None


# A visit is logged within the year after it: a date before that is a typing slip (1900).
VISIT_DATE_WINDOW = dt.timedelta(days=366)
# A phone's clock may run a little ahead of the server's; a visit recorded further in the
# future than this is refused (the phone's clock is wrong).
RECORDED_CLOCK_SKEW = dt.timedelta(minutes=5)
# The channels of the desk: a resident at the committee's or street's desk (来访), on the
# phone (来电), or by letter (信件).
DESK_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.LETTER)


@dataclass(frozen=True)
class RaisedMatter:
    """One matter a resident raised at a visit, with its own outcome: settled on the spot
    (with the resident's verdict, asked there and then, when given) or raised as a ticket.
    `settled=None`: the visit's `result` decides (the whole visit settled or raised)."""

    category: Category
    description: str
    urgency: str = Urgency.NORMAL
    settled: bool | None = None
    attach_to: Ticket | None = None  # raised, and the same problem already open: join it
    satisfaction: str = ""


def _visit_result(matters: list[RaisedMatter]) -> str:
    if any(not matter.settled for matter in matters):
        return Visit.Result.RAISED
    return Visit.Result.SETTLED if matters else Visit.Result.NOTHING


def visit_log(
    *,
    actor: User,
    household: Household,
    visited_on: dt.date,
    method: str,
    result: str | None = None,
    visitors: list[TeamMembership] = (),
    notes: str = "",
    matters: list[RaisedMatter] = (),
    lat: float | str | None = None,
    long: float | str | None = None,
    recorded_at: dt.datetime | None = None,
    client_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Visit:
    """Record a visit and what came of each matter, in one transaction.

    `recorded_at`: when the visit was recorded on the phone (the outbox sends it later); not
    after now (beyond a small clock skew), nor before the visit-date window, and the visit's
    date not after it. `client_id`: the id the phone made, unique (see visit_log_once).

    Per matter: settled on the spot (简单问题现场解决) becomes a ticket already resolved at the
    zone tier, so the pyramid counts it, and closed with the resident's verdict when they gave
    it at the door; raised becomes an open ticket that the visitor, as first receiver, owns.
    The visit's result follows from its matters (nothing raised: it only counts for
    coverage); `result`, when given, is the outcome of the matters that do not say theirs.
    `lat`/`long`: where the phone was (both or neither), else each matter has the building's.
    """
    now = clock.now(now)
    check_point(lat, long)
    today = timezone.localdate(now)
    recorded_at = recorded_at or now
    if timezone.is_naive(recorded_at):
        raise InvalidInput(_("Give the time the visit was recorded with its time zone."), field="recorded_at")
    if recorded_at > now + RECORDED_CLOCK_SKEW:
        raise InvalidInput(
            _("The visit was recorded at %(time)s, which is still to come: check the phone's clock.")
            % {"time": timezone.localtime(recorded_at).strftime("%Y-%m-%d %H:%M")},
            field="recorded_at",
        )
    if recorded_at < now - VISIT_DATE_WINDOW:
        raise InvalidInput(_("The visit was recorded more than a year ago."), field="recorded_at")
    if visited_on > today:
        raise InvalidInput(_("The visit date cannot be in the future."), field="visited_on")
    if visited_on > timezone.localdate(recorded_at):
        raise InvalidInput(_("The visit date cannot be after the day it was recorded."), field="visited_on")
    if visited_on < today - VISIT_DATE_WINDOW:
        raise InvalidInput(
            _("The visit date must be within the last year (from %(date)s).")
            % {"date": (today - VISIT_DATE_WINDOW).isoformat()},
            field="visited_on",
        )
    if method not in Visit.Method.values:
        raise InvalidInput(_("Say whether the visit was at the door or by phone."), field="method")
    if result is not None:
        if result not in Visit.Result.values:
            raise InvalidInput(_("Choose what came of the visit."), code="required", field="result")
        if result == Visit.Result.NOTHING and matters:
            raise InvalidInput(_("Nothing was raised, so there is no matter to record."), field="result")
        if result != Visit.Result.NOTHING and not matters:
            raise InvalidInput(_("Describe at least one matter the resident raised."), code="required", field="matters")
        matters = [
            matter if matter.settled is not None else replace(matter, settled=result == Visit.Result.SETTLED)
            for matter in matters
        ]
    for matter in matters:
        if matter.satisfaction and not matter.settled:
            raise InvalidInput(_("Only a matter settled on the spot has the resident's verdict."), field="satisfaction")
        if matter.satisfaction and matter.satisfaction not in Feedback.Satisfaction.values:
            raise InvalidInput(_("Choose how satisfied the resident is."), field="satisfaction")
    strangers = [member for member in visitors if member.team.zone_id != household.zone_id]
    if strangers:
        raise InvalidInput(_("%(name)s is not on this zone's team.") % {"name": strangers[0].name}, field="visitors")
    with transaction.atomic():
        visit = Visit.objects.create(
            household=household,
            zone=household.zone,
            visited_on=visited_on,
            method=method,
            notes=(notes or "").strip(),
            result=_visit_result(matters),
            recorded_by=actor,
            created_at=now,
            recorded_at=recorded_at,
            client_id=client_id,
        )
        visit.visitors.set(visitors)
        # Meeting the resident ends the pauses that wait on them (issue 19).
        resume_on_resident_answer(actor=actor, how=ResumeHow.RESIDENT_VISIT, household_id=household.pk, now=now)
        for matter in matters:
            if matter.attach_to is not None and not matter.settled:
                ticket_add_reporter(
                    ticket=matter.attach_to,
                    actor=actor,
                    channel=Channel.VISIT,
                    name=household.contact_name,
                    phone=household.phone,
                    household=household,
                    description=matter.description,
                    visit=visit,
                    now=now,
                )
                continue
            ticket = ticket_create(
                actor=actor,
                category=matter.category,
                description=matter.description,
                urgency=matter.urgency,
                channel=Channel.VISIT,
                household=household,
                reporter_name=household.contact_name,
                reporter_phone=household.phone,
                visit=visit,
                lat=lat,
                long=long,
                # Settled at the door: answered there, nothing for a department to do.
                route_by_list=not matter.settled,
                now=now,
            )
            if matter.settled:
                ticket = ticket_resolve(
                    ticket=ticket,
                    actor=actor,
                    outcome=Outcome.SOLVED,
                    reason=_("Settled on the spot during the visit."),
                    now=now,
                )
                if matter.satisfaction:
                    ticket_record_feedback(
                        ticket=ticket,
                        actor=actor,
                        satisfaction=matter.satisfaction,
                        collected_via=Feedback.Via.VISIT if method == Visit.Method.DOOR else Feedback.Via.PHONE,
                        now=now,
                    )
    return visit


def visit_by_client_id(*, actor: User, client_id: uuid.UUID) -> Visit | None:
    """The visit a phone already sent with this id, if the same person sent it; another
    person's id is refused (a second phone cannot overwrite, nor read, someone's visit)."""
    visit = Visit.objects.filter(client_id=client_id).first()
    if visit is not None and visit.recorded_by_id != actor.pk:
        raise InvalidTransition(
            _("This visit's id was already used by someone else; it cannot be sent again under it."),
            code="client_id_taken",
            field="client_id",
        )
    return visit


def visit_log_once(*, actor: User, client_id: uuid.UUID | None, photos=(), **visit) -> tuple[Visit, bool]:
    """visit_log at most once per id the phone made: (the visit, whether it was already there).
    `photos` (checked by escalation.photos.check_all) are kept with the tickets it raises, in
    the same transaction: a visit that arrives, arrives with its photos; a retry adds none.
    Without an id (a form sent by a browser without JavaScript), logged as it comes.

    The partner API's idempotency (insert or find, then answer with the first result), keyed
    on the visit itself: `Visit.client_id` is unique, so of two sends at once (two tabs, a
    retry while the first answer is lost) one inserts and the other waits on the unique
    index, fails, and finds the first. A retry answers with the first visit even if the
    household has since left the person's zones: it was logged when it was theirs."""
    existing = None if client_id is None else visit_by_client_id(actor=actor, client_id=client_id)
    if existing is not None:
        return existing, True
    try:
        with transaction.atomic():
            logged = visit_log(actor=actor, client_id=client_id, **visit)
            if photos:
                visit_photos_add(visit=logged, actor=actor, processed=photos)
            return logged, False
    except IntegrityError:
        existing = visit_by_client_id(actor=actor, client_id=client_id)
        if existing is None:
            raise
        return existing, True


@dataclass(frozen=True)
class DeskMatter:
    """One matter brought to the desk."""

    category: Category
    description: str
    urgency: str = Urgency.NORMAL
    attach_to: Ticket | None = None  # the same problem, already open: join it instead


def desk_intake(
    *,
    actor: User,
    channel: str,
    matters: list[DeskMatter],
    household: Household | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    zone: ResponsibilityZone | None = None,
    committee: ResidentialCommittee | None = None,
    street: StreetOffice | None = None,
    address: str = "",
    lat: float | str | None = None,
    long: float | str | None = None,
    now: dt.datetime | None = None,
) -> list[Ticket]:
    """A resident at the desk, on the phone or by letter: one ticket per matter, opened through
    ticket_create like every other channel, all or none. No visit is recorded (coverage counts
    door-to-door visits only).

    The caller: a household (its contact by default), or a name and phone with no household,
    then the place is a unit the person acts for (a zone, committee or street) and an address.
    Staff of every tier take requests for the units they act for (escalation.policy.acts_for).
    """
    where = _desk_caller(
        actor=actor,
        channel=channel,
        household=household,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        zone=zone,
        committee=committee,
        street=street,
        address=address,
    )
    if not matters:
        raise InvalidInput(_("Describe at least one matter the resident raised."), code="required", field="matters")
    with transaction.atomic():
        _met_at_the_desk(actor, where, now)
        return [
            ticket_add_reporter(
                ticket=matter.attach_to,
                actor=actor,
                channel=where["channel"],
                name=where["reporter_name"],
                phone=where["reporter_phone"],
                household=where["household"],
                description=matter.description,
                now=now,
            ).ticket
            if matter.attach_to is not None
            else ticket_create(
                actor=actor,
                category=matter.category,
                description=matter.description,
                urgency=matter.urgency,
                lat=lat,
                long=long,
                now=now,
                **where,
            )
            for matter in matters
        ]


def _met_at_the_desk(actor: User, where: dict, now: dt.datetime | None) -> None:
    """A resident of a known household who walks in has answered whatever their paused
    tickets wait on them for (a missing document brought, a call returned in person)."""
    if where["household"] is not None and where["channel"] == Channel.WALK_IN:
        resume_on_resident_answer(
            actor=actor, how=ResumeHow.RESIDENT_VISIT, household_id=where["household"].pk, now=now
        )


def _desk_caller(
    *,
    actor: User,
    channel: str,
    household: Household | None,
    reporter_name: str,
    reporter_phone: str,
    zone: ResponsibilityZone | None,
    committee: ResidentialCommittee | None,
    street: StreetOffice | None,
    address: str,
) -> dict:
    """Who came to the desk and where their matter belongs, checked: ticket_create's
    arguments for the caller, the place and the channel."""
    if channel not in DESK_CHANNELS:
        raise InvalidInput(_("Choose how the request came in: walk-in, phone or letter."), field="channel")
    reporter_name = (reporter_name or "").strip()
    reporter_phone = (reporter_phone or "").strip()
    if household is not None:
        place = {
            "street_id": household.zone.committee.street_id,
            "committee_id": household.zone.committee_id,
            "zone_id": household.zone_id,
        }
        field = "household"
        reporter_name = reporter_name or household.contact_name
        reporter_phone = reporter_phone or household.phone
    elif zone is not None:
        place = {"street_id": zone.committee.street_id, "committee_id": zone.committee_id, "zone_id": zone.pk}
        field = "place"
    elif committee is not None:
        place = {"street_id": committee.street_id, "committee_id": committee.pk}
        field = "place"
    elif street is not None:
        place = {"street_id": street.pk}
        field = "place"
    else:
        raise InvalidInput(
            _("Choose the household, or the unit the request belongs to."), code="required", field="place"
        )
    if not acts_for(actor, **place):
        raise NotPermitted(_("You do not take requests for this place."), field=field)
    if household is None and not reporter_name:
        raise InvalidInput(_("Give the resident's name."), code="required", field="reporter_name")
    if household is None and not (address or "").strip():
        raise InvalidInput(_("Give the address the request is about."), code="required", field="address")
    return {
        "channel": channel,
        "household": household,
        "zone": zone if household is None else None,
        "committee": committee if household is None and zone is None else None,
        "street": street if household is None and zone is None and committee is None else None,
        "address": address,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
    }


def desk_service_apply(
    *,
    actor: User,
    channel: str,
    item: ServiceItem,
    urgency: str = Urgency.NORMAL,
    documents_received: list[str] = (),
    note: str = "",
    household: Household | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    zone: ResponsibilityZone | None = None,
    committee: ResidentialCommittee | None = None,
    street: StreetOffice | None = None,
    address: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """An application at a committee's or the street's window (一口受理): the caller and place
    checked as for any desk request, then service_apply. Any clerk takes any item; the
    ticket goes to the unit that completes it, and the clerk stays its first receiver."""
    where = _desk_caller(
        actor=actor,
        channel=channel,
        household=household,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        zone=zone,
        committee=committee,
        street=street,
        address=address,
    )
    with transaction.atomic():
        _met_at_the_desk(actor, where, now)
        return service_apply(
            actor=actor,
            item=item,
            urgency=urgency,
            documents_received=documents_received,
            description=note,
            now=now,
            **where,
        )
