"""Residents' personal data (DESIGN.md rule 9, issue 14 item 12): who sees phones, contact
details and care flags, the access log, a household's export and erasure, and the retention
of visit notes."""

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from escalation import policy
from escalation import transitions as t
from escalation.policy import Right
from grievances import privacy
from grievances.models import Household, PersonalDataAccess, Status, Ticket, TicketEvent, Visit
from grievances.tasks import purge_old_visit_notes
from responders.models import User
from tests.factories import (
    CommitteeFactory,
    HouseholdFactory,
    MembershipFactory,
    UserFactory,
    department_for,
    make_ticket,
    staffed_zone,
)

pytestmark = pytest.mark.django_db

PHONE, MASKED_PHONE = "13812345678", "138****5678"
NAME, MASKED_NAME = "王芳", "王*"
CARE = "独居老人"  # "elderly living alone", as the Chinese screens say it


@pytest.fixture
def zone():
    return staffed_zone()


@pytest.fixture
def household(zone):
    return HouseholdFactory(zone=zone, contact_name=NAME, phone=PHONE, elderly_living_alone=True)


@pytest.fixture
def ticket(household):
    return make_ticket(zone=None, household=household, reporter_name=NAME, reporter_phone=PHONE)


def person(zone, role: str) -> User:
    """Someone of `role` with respect to `zone`'s household and ticket."""
    street, committee = zone.committee.street, zone.committee
    match role:
        case "zone_member":
            return User.objects.get(memberships__team__zone=zone)
        case "committee_staff":
            return User.objects.get(committee=committee, role=User.Role.COMMITTEE_STAFF)
        case "street_staff":
            return User.objects.get(street=street, role=User.Role.STREET_STAFF)
        case "street_leader":
            return User.objects.get(street=street, role=User.Role.STREET_LEADER)
        case "administrator":
            return UserFactory(role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        case "other_committee_staff":
            return UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory(street=street))
    raise AssertionError(role)


def referred_liaison(ticket) -> User:
    """A liaison of a department the ticket is referred to."""
    department = department_for(ticket)
    t.ticket_refer(ticket=t.ticket_start(ticket=ticket, actor="test"), actor="test", department=department)
    return UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)


# --- who sees what -----------------------------------------------------------------------------

# role: (the household page, the ticket page's reporter, care flags on the household page)
SEES = {
    "zone_member": ("full", "full", True),
    "committee_staff": ("full", "full", True),
    "street_staff": ("full", "full", False),
    "street_leader": ("full", "full", False),
    "administrator": ("full", "full", True),
    "other_committee_staff": (404, 404, False),
}


@pytest.mark.parametrize("role", SEES)
def test_who_sees_a_households_phone_and_care_flags(client, zone, household, ticket, role):
    household_sees, ticket_sees, care = SEES[role]
    client.force_login(person(zone, role))

    household_page = client.get(f"/households/{household.pk}/")
    ticket_page = client.get(f"/tickets/{ticket.pk}/")

    if household_sees == 404:
        assert household_page.status_code == 404 and ticket_page.status_code == 404
        return
    page = household_page.content.decode()
    assert f'href="tel:{PHONE}"' in page and NAME in page
    assert (CARE in page) is care
    reporter = ticket_page.content.decode()
    assert f'href="tel:{PHONE}"' in reporter and NAME in reporter


def test_a_liaison_sees_the_matter_not_the_person(client, ticket, household):
    liaison = referred_liaison(ticket)
    client.force_login(liaison)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    reporter = page[page.index('data-testid="reporter"') :][:200]

    assert MASKED_PHONE in reporter and MASKED_NAME in reporter
    assert PHONE not in page and NAME not in page and "tel:" not in page
    assert client.get(f"/households/{household.pk}/").status_code == 404
    assert not PersonalDataAccess.objects.exists()  # nothing shown in full, nothing logged


def test_the_policy_answers_by_name(zone, household, ticket):
    member, leader = person(zone, "zone_member"), person(zone, "street_leader")
    staff, committee = person(zone, "street_staff"), person(zone, "committee_staff")
    liaison = referred_liaison(ticket)

    assert policy.may(member, Right.SEE_PERSONAL_DATA, household) and policy.may(
        member, Right.SEE_CARE_FLAGS, household
    )
    assert policy.may(leader, Right.SEE_PERSONAL_DATA, ticket) and not policy.may(
        leader, Right.SEE_CARE_FLAGS, household
    )
    assert not policy.may(liaison, Right.SEE_PERSONAL_DATA, ticket)
    assert not policy.personal_data_everywhere(liaison) and policy.personal_data_everywhere(committee)
    assert policy.may(staff, Right.EXPORT_PERSONAL_DATA, household) and policy.may(
        leader, Right.ERASE_PERSONAL_DATA, household
    )
    assert not policy.may(committee, Right.EXPORT_PERSONAL_DATA, household)
    assert not policy.may(member, Right.ERASE_PERSONAL_DATA, household)
    assert not policy.may(person(staffed_zone(), "street_staff"), Right.EXPORT_PERSONAL_DATA, household)


def test_a_liaison_on_the_zones_team_sees_the_zone_like_its_members(client, zone, household, ticket):
    liaison = referred_liaison(ticket)
    MembershipFactory(team=zone.team, user=liaison, name=liaison.full_name)
    liaison = User.objects.get(pk=liaison.pk)  # a fresh scope
    client.force_login(liaison)

    assert f'href="tel:{PHONE}"' in client.get(f"/households/{household.pk}/").content.decode()
    assert f'href="tel:{PHONE}"' in client.get(f"/tickets/{ticket.pk}/").content.decode()


# --- the access log ----------------------------------------------------------------------------


def test_viewing_a_household_logs_who_what_and_when(client, zone, household):
    member = person(zone, "zone_member")
    client.force_login(member)
    before = timezone.now()

    client.get(f"/households/{household.pk}/")

    access = PersonalDataAccess.objects.get()
    assert (access.user, access.how, access.subject, access.object_ids) == (member, "page", "household", [household.pk])
    assert set(access.fields) == {"contact_name", "phone", "care_flags"}
    assert before <= access.at <= timezone.now() and access.path == f"/households/{household.pk}/"


def test_the_ticket_page_and_the_transfer_form_log_the_reporter(client, zone, ticket):
    staff = person(zone, "street_staff")
    t.ticket_escalate(ticket=ticket, actor="test", reason="上报居委会")
    t.ticket_escalate(ticket=Ticket.objects.get(pk=ticket.pk), actor="test", reason="上报街道")
    client.force_login(staff)

    client.get(f"/tickets/{ticket.pk}/")
    form = client.get(f"/tickets/{ticket.pk}/transfer-form/").content.decode()

    assert PHONE in form
    accesses = list(PersonalDataAccess.objects.order_by("pk"))
    assert [(a.user, a.subject, a.object_ids, a.path) for a in accesses] == [
        (staff, "ticket", [ticket.pk], f"/tickets/{ticket.pk}/"),
        (staff, "ticket", [ticket.pk], f"/tickets/{ticket.pk}/transfer-form/"),
    ]
    assert accesses[0].fields == ["reporter_name", "reporter_phone"]


def test_the_households_list_is_one_row_for_the_page(client, zone, household):
    others = HouseholdFactory.create_batch(3, zone=zone)
    leader = person(zone, "street_leader")
    client.force_login(leader)

    page = client.get("/zone/").content.decode()

    access = PersonalDataAccess.objects.get()
    assert access.how == "list" and sorted(access.object_ids) == sorted([household.pk, *(h.pk for h in others)])
    assert access.fields == ["contact_name"]  # a leader is shown no care flags
    assert NAME in page and CARE not in page


def test_the_access_log_is_read_only_in_the_admin(client, zone, household):
    admin = person(zone, "administrator")
    client.force_login(admin)
    client.get(f"/admin/grievances/household/{household.pk}/change/")
    access = PersonalDataAccess.objects.get()

    listing = client.get("/admin/grievances/personaldataaccess/", {"q": str(household.pk)})
    detail = client.get(f"/admin/grievances/personaldataaccess/{access.pk}/change/")

    assert (access.user, access.how, access.object_ids) == (admin, "admin", [household.pk])
    assert listing.status_code == 200 and f"/personaldataaccess/{access.pk}/change/" in listing.content.decode()
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/grievances/personaldataaccess/add/").status_code == 403
    assert client.post(f"/admin/grievances/personaldataaccess/{access.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PersonalDataAccess.objects.filter(pk=access.pk).exists()


# --- export and erasure ------------------------------------------------------------------------


def visit(household, notes="老人腿脚不便，需要上门", days_ago=10):
    return Visit.objects.create(
        household=household,
        zone=household.zone,
        visited_on=timezone.localdate() - dt.timedelta(days=days_ago),
        notes=notes,
        result="nothing",
        recorded_by=User.objects.get(memberships__team__zone=household.zone),
    )


def test_the_street_exports_a_households_data_and_it_is_logged(client, zone, household, ticket):
    visit(household)
    staff = person(zone, "street_staff")
    client.force_login(staff)

    assert 'data-testid="data-requests"' in client.get(f"/households/{household.pk}/").content.decode()
    response = client.post(f"/households/{household.pk}/export/", {"note": "户主本人到窗口申请，已核验身份证"})

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(f'attachment; filename="household-{household.pk}-')
    data = json.loads(response.content)
    assert data["household"].items() >= {"contact_name": NAME, "phone": PHONE, "elderly_living_alone": True}.items()
    assert data["visits"][0]["notes"] == "老人腿脚不便，需要上门"
    [exported] = data["tickets"]
    assert (exported["reference"], exported["reporter_phone"]) == (ticket.reference, PHONE)
    assert [event["kind"] for event in exported["timeline"]] == ["created"]
    exports = PersonalDataAccess.objects.filter(how="export").order_by("subject")
    assert [(a.user, a.subject, a.object_ids) for a in exports] == [
        (staff, "household", [household.pk]),
        (staff, "ticket", [ticket.pk]),
    ]
    assert exports[0].note == "户主本人到窗口申请，已核验身份证"


@pytest.mark.parametrize("role", ["zone_member", "committee_staff"])
def test_only_the_street_handles_data_requests(client, zone, household, role):
    client.force_login(person(zone, role))

    page = client.get(f"/households/{household.pk}/").content.decode()

    assert 'data-testid="data-requests"' not in page
    assert client.get(f"/households/{household.pk}/export/").status_code == 403
    assert client.post(f"/households/{household.pk}/erase/", {"reason": "x", "confirm": "on"}).status_code == 403
    assert Household.objects.get(pk=household.pk).phone == PHONE
    assert not PersonalDataAccess.objects.filter(how__in=["export", "erase"]).exists()


def test_another_streets_staff_get_404(client, household):
    client.force_login(person(staffed_zone(), "street_staff"))

    assert client.get(f"/households/{household.pk}/export/").status_code == 404
    assert client.get(f"/households/{household.pk}/erase/").status_code == 404


def test_erasing_anonymises_the_household_and_its_tickets_which_keep_their_record(client, zone, household, ticket):
    visit(household)
    hotline = make_ticket(
        zone=None, street=zone.committee.street, address="别处 1 号", reporter_name="王女士", reporter_phone=PHONE
    )
    elsewhere = make_ticket(reporter_name="李先生", reporter_phone=PHONE)  # another street: another person
    t.ticket_resolve(ticket=ticket, actor="test", outcome="solved")
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    leader = person(zone, "street_leader")
    client.force_login(leader)

    unconfirmed = client.post(f"/households/{household.pk}/erase/", {"reason": "本人申请"})
    done = client.post(f"/households/{household.pk}/erase/", {"reason": "本人申请删除，已核验", "confirm": "on"})

    assert unconfirmed.status_code == 400
    assert done.status_code == 302
    household.refresh_from_db()
    assert (household.contact_name, household.phone, household.elderly_living_alone) == (privacy.ANONYMISED, "", False)
    assert household.erased_by == leader and household.erased_at is not None
    assert household.address  # the dwelling stays, for visit coverage
    assert not Visit.objects.filter(household=household).exclude(notes="").exists()
    for kept in (ticket, hotline):
        kept.refresh_from_db()
        assert (kept.reporter_name, kept.reporter_phone) == (privacy.ANONYMISED, "")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before
    assert Ticket.objects.get(pk=elsewhere.pk).reporter_phone == PHONE
    erasures = PersonalDataAccess.objects.filter(how="erase").order_by("subject")
    assert [(a.user, a.subject, sorted(a.object_ids), a.note) for a in erasures] == [
        (leader, "household", [household.pk], "本人申请删除，已核验"),
        (leader, "ticket", sorted([ticket.pk, hotline.pk]), "本人申请删除，已核验"),
    ]

    second = client.post(f"/households/{household.pk}/export/", {"note": "再次导出核对"}).content.decode()
    assert PHONE not in second and NAME not in second and "王女士" not in second and "腿脚不便" not in second
    assert privacy.ANONYMISED in second
    page = client.get(f"/households/{household.pk}/").content.decode()
    assert "应居民要求删除" in page and "tel:" not in page


def test_the_command_exports_and_erases_too(household, ticket, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "export.json"
    call_command("household_data", "export", str(household.pk), "--note", "信函申请", "--output", str(out))
    call_command("household_data", "erase", str(household.pk), "--reason", "信函申请删除", "--yes")

    assert json.loads(out.read_text())["household"]["phone"] == PHONE
    assert Ticket.objects.get(pk=ticket.pk).reporter_phone == ""
    labels = set(PersonalDataAccess.objects.values_list("how", "actor_label"))
    assert {how for how, label in labels} == {"export", "erase"}
    assert all(label.startswith("manage.py household_data") for how, label in labels)


# --- retention ---------------------------------------------------------------------------------


def test_visit_notes_are_blanked_after_the_retention_period(household):
    old = visit(household, notes="三年多前的备注", days_ago=1100)
    recent = visit(household, notes="上个月的备注", days_ago=30)

    with override_settings(ZHITONG_VISIT_NOTES_KEEP_DAYS=1095):
        assert purge_old_visit_notes.delay().get() == "blanked 1"
    with override_settings(ZHITONG_VISIT_NOTES_KEEP_DAYS=0):
        assert privacy.purge_visit_notes(keep_days=0) == 0

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.notes, recent.notes) == ("", "上个月的备注")
    assert Visit.objects.filter(pk=old.pk).exists()  # the visit stays: coverage counts it
    assert privacy.purge_visit_notes(keep_days=10) == 1


def test_beat_runs_the_retention_nightly():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-visit-notes"]
    assert entry["task"] == "grievances.tasks.purge_old_visit_notes"
