"""Opening a ticket: the tier it starts at, its owner (首问负责制) and its SLA clock."""

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from alerts.models import Notification
from alerts.services import alerts_create
from catalogue.models import ServiceItem
from core import clock
from core.enums import Status, TicketKind, Tier, Urgency
from core.errors import InvalidTransition
from grievances.models import Category, Household, Ticket, TicketEvent, Visit
from responders.models import PartnerSystem, ResidentialCommittee, ResponsibilityZone, StreetOffice, User
from responders.selectors import OwnerFinder

from ..sla import SLA
from .base import Batch, append_events, new_event
from .lists import route_straight, straight_route
from .moves import set_clock, street_desk, ticket_clock
from .numbering import next_reference
from .table import Actor


def ticket_open(
    *,
    actor: Actor,
    category: Category,
    description: str,
    urgency: str,
    channel: str,
    street: StreetOffice,
    committee: ResidentialCommittee | None = None,
    zone: ResponsibilityZone | None = None,
    household: Household | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    partner: PartnerSystem | None = None,
    external_id: str = "",
    visit: Visit | None = None,
    point: tuple[float, float] | None = None,
    service_item: ServiceItem | None = None,
    documents_received: list[str] = (),
    route_by_list: bool = True,
    savepoint: bool = True,
    unnumbered: Callable[[Ticket], None] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket at the lowest tier that knows where it belongs; an emergency at the street.

    The caller (grievances.services.ticket_create) has validated the input and worked out
    the location (and its point, checked, or None); this decides the tier, the owner and the SLA clock.
    A `service_item`: an application at a window (kind "service"), answered for by the unit
    that completes the item (its committee or street), due by the item's time limit.
    `savepoint=False`, inside a caller's transaction: no savepoint of its own (two statements
    fewer), so an error here undoes the caller's whole transaction; for a caller whose
    transaction ends with the error anyway (the partner API's create, in its idempotency
    record's).
    `unnumbered(ticket)`, if given, is called with the new ticket placed (its street, committee,
    zone, household, category and text) but not yet numbered nor saved: work that reads the
    place but not the row, done before the street's number is taken. Taking it locks the
    street's counter until the transaction ends (gap-free references), and every other ticket
    opened in the street waits for it: what runs in between is every create's wait.
    """
    now = clock.now(now)
    if service_item is not None:
        tier = Tier(service_item.completing_tier)
        if tier == Tier.COMMITTEE and committee is None:
            tier = Tier.STREET
    elif urgency == Urgency.EMERGENCY:
        tier = Tier.STREET  # 突发问题第一时间上报
    elif zone is not None:
        tier = Tier.ZONE
    elif committee is not None:
        tier = Tier.COMMITTEE
    else:
        tier = Tier.STREET
    with transaction.atomic(savepoint=savepoint):
        owner = OwnerFinder().owner(
            tier=tier,
            zone_id=zone and zone.pk,
            committee_id=committee and committee.pk,
            street_id=street.pk,
            prefer=actor if isinstance(actor, User) else None,
        )
        if owner is None:
            raise InvalidTransition(
                _("Nobody at %(unit)s can own this ticket: add a staff account for it in the admin.")
                % {"unit": street},
                code="no_owner",
            )
        ticket = Ticket(
            created_at=now,
            updated_at=now,
            category=category,
            description=description,
            urgency=urgency,
            channel=channel,
            street=street,
            committee=committee,
            zone=zone,
            household=household,
            address=address,
            lat=point and point[0],
            long=point and point[1],
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            partner=partner,
            external_id=external_id,
            visit=visit,
            first_receiver=actor if isinstance(actor, User) else None,
            created_by=actor if isinstance(actor, User) else None,
            owner=owner,
            tier=tier,
            status=Status.NEW,
            kind=TicketKind.SERVICE if service_item is not None else TicketKind.REQUEST,
            service_item=service_item,
            documents_received=list(documents_received),
        )
        sla = SLA.load()
        set_clock(ticket, ticket_clock(sla, ticket, tier, now))
        # The street's two lists: an administrative affair goes straight to its department
        # (read here, written once the ticket is).
        route = straight_route(ticket, sla, now) if route_by_list else None
        if unnumbered is not None:
            unnumbered(ticket)
        # The last step before the row is written: from here to the commit, the street's other
        # new tickets wait for their numbers.
        ticket.reference = next_reference(street, now)
        try:
            # A savepoint only where a caller's value can collide (a partner's external id).
            with transaction.atomic() if external_id else nullcontext():
                ticket.save()
        except IntegrityError as error:
            # The one unique field a caller supplies: a partner's external id, met twice
            # (two requests racing past the check in grievances.services).
            if not external_id:
                raise
            raise InvalidTransition(
                _("This partner's external id %(id)s is already on another ticket.") % {"id": external_id},
                code="duplicate_external_id",
            ) from error
        append_events([new_event(ticket, TicketEvent.Kind.CREATED, actor, now, from_status="", from_tier="")])
        if route is not None:
            route_straight(ticket, actor, now, route)
        alerts = [(owner.pk, Notification.Kind.ASSIGNED, ticket.pk)] if owner != actor else []
        if tier == Tier.STREET:
            # Opened at the street (an emergency, an address known only by its street): the
            # street's desk triages it together, as when one is passed up to it.
            me = {owner.pk, getattr(actor, "pk", None)}
            alerts += [
                (pk, Notification.Kind.REACHED_STREET, ticket.pk)
                for pk in street_desk(street.pk, Batch())
                if pk not in me
            ]
        alerts_create(alerts, now=now)
    return ticket
