import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.enums import Status, Tier
from core.errors import InvalidInput, InvalidTransition
from grievances.models import Category, TicketEvent
from responders.models import User
from tests.factories import CommitteeFactory, HouseholdFactory, StreetFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def test_a_ticket_from_a_household_opens_at_its_zone_with_owner_and_clock():
    zone = staffed_zone()
    household = HouseholdFactory(zone=zone)
    member = User.objects.get(memberships__team__zone=zone)

    ticket = make_ticket(actor=member, household=household, zone=None)

    assert (ticket.tier, ticket.status) == (Tier.ZONE, Status.NEW)
    assert ticket.zone == zone and ticket.committee == zone.committee and ticket.street == zone.committee.street
    assert ticket.address == household.address
    # 首问负责制: the member who received it owns it and must tell the resident the outcome.
    assert ticket.owner == member and ticket.first_receiver == member
    assert ticket.responsible_unit == zone
    assert timezone.now() < ticket.respond_by < ticket.resolve_by
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


def test_references_are_per_street_and_year_and_never_repeat():
    zone = staffed_zone()
    street = zone.committee.street
    year = timezone.localdate().year

    refs = [make_ticket(zone=zone).reference for _ in range(3)]

    assert refs == [f"{street.code}-{year}-{n:06d}" for n in (1, 2, 3)]
    other = make_ticket()
    assert re.fullmatch(rf"{other.street.code}-{year}-000001", other.reference)


def test_an_emergency_starts_at_the_street():
    ticket = make_ticket(urgency="emergency")

    assert ticket.tier == Tier.STREET
    assert ticket.owner.full_name == "包干领导"  # the leader responsible for the committee
    # Respond within 2 hours around the clock (the seeded street/emergency policy).
    assert abs((ticket.respond_by - ticket.created_at).total_seconds() - 2 * 3600) < 5


def test_an_address_with_only_its_committee_opens_at_the_committee():
    zone = staffed_zone()

    ticket = make_ticket(zone=None, committee=zone.committee, address="瞿溪路 1 号 门口")

    assert ticket.tier == Tier.COMMITTEE
    assert ticket.owner.full_name == "居委干部"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"description": "   "}, "description"),
        ({"description": "字" * 4001}, "description"),
        ({"urgency": "whenever"}, "urgency"),
        ({"channel": "pigeon"}, "channel"),
        ({"zone": None, "address": "somewhere"}, "address"),
        ({"zone": None, "address": ""}, "zone"),
        ({"external_id": "12345-1"}, "external_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(kwargs, field):
    with pytest.raises(InvalidInput) as error:
        make_ticket(**kwargs)

    assert error.value.field == field
    assert not TicketEvent.objects.exists()


def test_an_address_in_another_street_is_refused():
    committee = CommitteeFactory()
    with pytest.raises(InvalidInput) as error:
        make_ticket(zone=None, committee=committee, street=StreetFactory(), address="x")
    assert error.value.field == "street"


def test_an_inactive_category_is_refused():
    Category.objects.filter(code="other").update(active=False)
    with pytest.raises(InvalidInput) as error:
        make_ticket(category="other")
    assert error.value.field == "category"


def test_a_street_without_any_staff_refuses_the_ticket_rather_than_leave_it_ownerless():
    street = StreetFactory()

    with pytest.raises(InvalidTransition) as error:
        make_ticket(zone=None, street=street, address="无人街道 1 号")

    assert error.value.code == "no_owner"


def test_the_event_log_is_append_only_even_for_raw_sql():
    ticket = make_ticket()
    event = ticket.events.get()

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    for statement in (
        "UPDATE grievances_ticketevent SET note = 'rewritten'",
        "DELETE FROM grievances_ticketevent",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert ticket.events.get().note == ""


def test_an_open_ticket_cannot_lose_its_owner_in_the_database():
    ticket = make_ticket()
    from grievances.models import Ticket

    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(owner=None)


def test_a_superuser_elsewhere_never_becomes_the_owner_of_last_resort():
    from tests.factories import UserFactory

    UserFactory(is_superuser=True, role=User.Role.ADMINISTRATOR)

    with pytest.raises(InvalidTransition) as error:
        make_ticket(zone=None, street=StreetFactory(), address="无人街道 1 号")

    assert error.value.code == "no_owner"
