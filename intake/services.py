"""Writes about residents' requests. Ticket state itself moves only through escalation.transitions."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import clock
from core.enums import Channel, Outcome, Urgency
from core.errors import InvalidInput, InvalidTransition
from escalation.transitions import Actor, ticket_open, ticket_resolve
from grievances.models import Category, Household, Ticket, Visit
from responders.models import (
    PartnerSystem,
    ResidentialCommittee,
    ResponsibilityZone,
    StreetOffice,
    TeamMembership,
    User,
)

DESCRIPTION_MAX = 4000


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
    now: dt.datetime | None = None,
) -> Ticket:
    """Validate a request and open its ticket where it belongs.

    Where: a household (which gives its zone), a zone, or a free address with the committee
    or street it falls in. Every error names its field; nothing is written unless all is well.
    """
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
        now=now,
    )


@dataclass(frozen=True)
class RaisedMatter:
    """One matter a resident raised at a visit."""

    category: Category
    description: str
    urgency: str = Urgency.NORMAL


def visit_log(
    *,
    actor: User,
    household: Household,
    visited_on: dt.date,
    method: str,
    result: str,
    visitors: list[TeamMembership] = (),
    notes: str = "",
    matters: list[RaisedMatter] = (),
    now: dt.datetime | None = None,
) -> Visit:
    """Record a visit and what came of it, in one transaction.

    Settled on the spot (简单问题现场解决): each matter becomes a ticket already resolved at
    the zone tier, so the pyramid counts it. Raised: each matter becomes an open ticket that
    the visitor, as first receiver, owns. Nothing raised: the visit only counts for coverage.
    """
    now = clock.now(now)
    if visited_on > timezone.localdate(now):
        raise InvalidInput(_("The visit date cannot be in the future."), field="visited_on")
    if method not in Visit.Method.values:
        raise InvalidInput(_("Say whether the visit was at the door or by phone."), field="method")
    if result not in Visit.Result.values:
        raise InvalidInput(_("Choose what came of the visit."), code="required", field="result")
    if result == Visit.Result.NOTHING and matters:
        raise InvalidInput(_("Nothing was raised, so there is no matter to record."), field="result")
    if result != Visit.Result.NOTHING and not matters:
        raise InvalidInput(_("Describe at least one matter the resident raised."), code="required", field="matters")
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
            result=result,
            recorded_by=actor,
            created_at=now,
        )
        visit.visitors.set(visitors)
        for matter in matters:
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
                now=now,
            )
            if result == Visit.Result.SETTLED:
                ticket_resolve(
                    ticket=ticket,
                    actor=actor,
                    outcome=Outcome.SOLVED,
                    reason=_("Settled on the spot during the visit."),
                    now=now,
                )
    return visit
