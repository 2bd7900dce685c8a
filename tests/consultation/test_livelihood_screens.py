"""The livelihood-project screens through Django's client: proposing, the proposal meeting's
decision (bad input named by its field), scope (404), a review that opens a ticket, the
printable contract."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from consultation import livelihood, services
from consultation.models import LivelihoodProject
from grievances.models import Ticket
from meetings.models import MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.consultation.helpers import staff_of
from tests.factories import CommitteeFactory, UserFactory, staffed_zone

pytestmark = pytest.mark.django_db


def _propose(client, zone):
    client.force_login(staff_of(zone.committee))
    answer = client.post(
        "/livelihood/new/",
        {
            "unit": f"committee:{zone.committee_id}",
            "title": "加装楼道扶手",
            "location": "桑城路 12 弄",
            "proposed_by": "residents",
            "proposer": "3号楼居民",
        },
    )
    project = LivelihoodProject.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/livelihood/{project.pk}/"
    return project


def test_propose_then_the_street_decides_at_its_proposal_meeting(client):
    zone = staffed_zone()
    street = zone.committee.street
    project = _propose(client, zone)
    assert project.period == livelihood.half_year(timezone.localdate())
    assert "加装楼道扶手" in client.get("/livelihood/").content.decode()
    # The committee sees its proposal but the decision is the street's.
    assert 'data-testid="decision"' not in client.get(f"/livelihood/{project.pk}/").content.decode()

    street_staff = User.objects.get(street=street, role=User.Role.STREET_STAFF)
    client.force_login(street_staff)
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="livelihood"),
        unit=street,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        actor=None,
    )
    page = client.get(f"/livelihood/{project.pk}/")
    assert page.status_code == 200 and str(meeting) in page.content.decode()
    today = timezone.localdate()
    decision = {
        "meeting": meeting.pk,
        "selected": "yes",
        "budget": "",
        "responsible_unit": "街道管理办",
        "responsible_person": "陈静",
        "starts_on": today.isoformat(),
        "due_on": (today + dt.timedelta(days=60)).isoformat(),
    }
    refused = client.post(f"/livelihood/{project.pk}/decide/", decision)
    assert refused.status_code == 400 and "budget" in refused.context["decision_form"].errors
    bad_number = client.post(f"/livelihood/{project.pk}/decide/", decision | {"budget": "十万"})
    assert bad_number.status_code == 400 and "budget" in bad_number.context["decision_form"].errors
    done = client.post(f"/livelihood/{project.pk}/decide/", decision | {"budget": "120000"})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == LivelihoodProject.Status.SELECTED and project.budget == Decimal("120000")
    again = client.post(f"/livelihood/{project.pk}/decide/", decision | {"budget": "1"}, follow=True)
    assert "该提议已有决定" in again.content.decode()


def test_another_committee_sees_nothing(client):
    zone = staffed_zone()
    project = _propose(client, zone)
    client.force_login(UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory()))
    assert client.get(f"/livelihood/{project.pk}/").status_code == 404
    assert client.post(f"/livelihood/{project.pk}/review/", {"findings": "x"}).status_code == 404
    assert client.get(f"/livelihood/{project.pk}/contract/print/").status_code == 404
    assert "加装楼道扶手" not in client.get("/livelihood/").content.decode()


def test_a_review_that_finds_a_breach_opens_a_ticket_from_the_page(client):
    zone = staffed_zone()
    street = zone.committee.street
    staff = User.objects.get(street=street, role=User.Role.STREET_STAFF)
    now = timezone.now()
    today = timezone.localdate()
    project = livelihood.project_propose(
        actor=staff, unit=zone.committee, title="弄堂路灯更新", location="桑城路 5 弄", proposed_by="committee", now=now
    )
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="livelihood"), unit=street, starts_at=now - dt.timedelta(hours=1), actor=None
    )
    livelihood.project_decide(
        project=project,
        actor=staff,
        meeting=meeting,
        selected=True,
        budget=Decimal("50000"),
        responsible_unit="街道管理办",
        responsible_person="陈静",
        starts_on=today,
        due_on=today,
        now=now,
    )
    services.progress_report(project=project, actor=staff, progress=100, now=now)
    client.force_login(staff_of(zone.committee))
    assert client.post(f"/livelihood/{project.pk}/complete/").status_code == 302
    contract = {
        "manager": "物业公司",
        "beneficiaries": "桑城路 5 弄居民",
        "manager_duties": "路灯损坏三日内修复。",
        "beneficiary_duties": "爱护设施。",
        "signed_on": today.isoformat(),
        "ends_on": (today - dt.timedelta(days=1)).isoformat(),
        "review_every_months": "6",
    }
    refused = client.post(f"/livelihood/{project.pk}/contract/", contract)
    assert refused.status_code == 400 and "ends_on" in refused.context["contract_form"].errors
    contract["ends_on"] = (today + dt.timedelta(days=365)).isoformat()
    assert client.post(f"/livelihood/{project.pk}/contract/", contract).status_code == 302
    printable = client.get(f"/livelihood/{project.pk}/contract/print/").content.decode()
    assert "民生实事项目征询契约" in printable and "路灯损坏三日内修复" in printable
    answer = client.post(
        f"/livelihood/{project.pk}/review/", {"findings": "两盏路灯坏了一个月", "breach": "on"}, follow=True
    )
    ticket = Ticket.objects.get()
    assert ticket.committee == zone.committee and ticket.reference in answer.content.decode()
    assert "两盏路灯坏了一个月" in ticket.description
