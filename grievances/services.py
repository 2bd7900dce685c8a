"""Writes about residents' requests. Ticket state itself moves only through escalation.transitions."""

from django.utils.translation import gettext as _

from escalation.errors import InvalidInput
from escalation.transitions import Actor, ticket_open
from responders.models import PartnerSystem, ResidentialCommittee, ResponsibilityZone, StreetOffice

from .models import Category, Channel, Household, Ticket, Urgency, Visit

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
        zone = household.zone
        address = address or household.address
    if zone is not None:
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
    )
