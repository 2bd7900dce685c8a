"""Livelihood projects (民生实事) end to end on PostgreSQL: half-yearly proposals, the street's
proposal meeting selects with a budget, a unit and a timetable, the project is carried out
under milestones (late ones alert), completed, kept under a maintenance contract whose review
finds a breach and opens a ticket; and the refusals."""

import datetime as dt
from decimal import Decimal

import pytest

from alerts.models import Notification
from consultation import livelihood, services
from consultation.models import LivelihoodProject, ProjectEvent
from core.enums import Status, Tier
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from grievances.models import Ticket
from meetings.models import MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.consultation.helpers import START, day, staff_of
from tests.factories import CommitteeFactory, StreetFactory, UserFactory, staffed_zone

pytestmark = pytest.mark.django_db


def _street_staff(street) -> User:
    return User.objects.get(street=street, role=User.Role.STREET_STAFF)


def _proposal_meeting(street, on: int = 10):
    return meeting_schedule(
        type=MeetingType.objects.get(code="livelihood"), unit=street, starts_at=day(on), actor=None, now=day(0)
    )


def _propose(committee, title="加装楼道扶手", **kwargs):
    return livelihood.project_propose(
        actor=kwargs.pop("actor", None) or staff_of(committee),
        unit=committee,
        title=title,
        location="桑城路 12 弄",
        proposed_by=kwargs.pop("proposed_by", LivelihoodProject.ProposedBy.COMMITTEE),
        now=kwargs.pop("now", day(1)),
        **kwargs,
    )


def _select(project, meeting, **kwargs):
    values = {
        "budget": Decimal("120000.00"),
        "responsible_unit": "街道管理办",
        "responsible_person": "陈静",
        "starts_on": day(12).date(),
        "due_on": day(60).date(),
    } | kwargs
    return livelihood.project_decide(
        project=project,
        actor=_street_staff(project.street),
        meeting=meeting,
        selected=True,
        now=day(11),
        **values,
    )


def test_a_half_year_round_from_proposals_to_a_breach_that_opens_a_ticket():
    zone = staffed_zone()
    committee, street = zone.committee, zone.committee.street
    handrails = _propose(committee)
    benches = _propose(committee, title="小区增设休息座椅", proposed_by="residents", proposer="居民王阿姨")
    lights = _propose(committee, title="弄堂路灯更新")
    assert handrails.period == "2026-H2" and handrails.status == LivelihoodProject.Status.PROPOSED
    meeting = _proposal_meeting(street)

    # The proposal meeting selects two and declines one.
    handrails = _select(handrails, meeting)
    benches = _select(benches, meeting, budget=Decimal("30000"))
    livelihood.project_decide(
        project=lights, actor=_street_staff(street), meeting=meeting, selected=False, note="已列入区级计划", now=day(11)
    )
    assert {p.status for p in (handrails, benches)} == {LivelihoodProject.Status.SELECTED}
    assert LivelihoodProject.objects.get(pk=lights.pk).decision_note == "已列入区级计划"
    assert list(meeting.livelihood_projects.order_by("pk")) == [handrails, benches, lights]

    # Carried out like a promise: milestones, progress; a late milestone alerts once.
    staff = _street_staff(street)
    first = services.milestone_add(project=handrails, actor=staff, title="采购扶手", due_on=day(20).date(), now=day(12))
    assert services.sweep_late_milestones(now=day(22)) == 1
    alert = Notification.objects.get(kind=Notification.Kind.MILESTONE_LATE, recipient=staff_of(committee))
    assert alert.link == f"/livelihood/{handrails.pk}/"
    assert services.sweep_late_milestones(now=day(23)) == 0
    services.milestone_done(milestone=first, actor=staff, now=day(25))
    with pytest.raises(InvalidTransition) as early:
        livelihood.project_complete(project=handrails, actor=staff, now=day(26))
    assert early.value.code == "progress"
    services.progress_report(project=handrails, actor=staff, progress=100, now=day(40))
    handrails = livelihood.project_complete(project=handrails, actor=staff, now=day(41))
    assert handrails.status == LivelihoodProject.Status.COMPLETED and handrails.completed_on == day(41).date()

    # The consultation and maintenance contract, and its reviews.
    contract = livelihood.contract_sign(
        project=handrails,
        actor=staff,
        manager="物业公司",
        beneficiaries="桑城路 12 弄全体居民",
        manager_duties="每季度检查扶手牢固，损坏七日内修复。",
        beneficiary_duties="爱护设施，发现损坏及时报告。",
        signed_on=day(42).date(),
        ends_on=day(42 + 730).date(),
        review_every_months=6,
        now=day(42),
    )
    assert livelihood.contract_reviews_due(contract) == dt.date(2027, 6, 14)  # signed 2026-12-14, every six months
    fine = livelihood.contract_review(
        contract=contract, actor=staff_of(committee), findings="完好", breach=False, now=day(100)
    )
    assert fine.ticket is None
    breach = livelihood.contract_review(
        contract=contract, actor=staff_of(committee), findings="3号楼扶手松动两月未修", breach=True, now=day(200)
    )
    ticket = Ticket.objects.get(pk=breach.ticket_id)
    assert ticket.committee == committee and ticket.tier == Tier.COMMITTEE and ticket.status == Status.NEW
    assert "3号楼扶手松动两月未修" in ticket.description and ticket.address == "桑城路 12 弄"
    kinds = list(handrails.events.values_list("kind", flat=True))
    assert kinds[0] == ProjectEvent.Kind.PROPOSED and kinds[-1] == ProjectEvent.Kind.REVIEWED
    with pytest.raises(InvalidTransition) as twice:
        livelihood.contract_sign(
            project=handrails,
            actor=staff,
            manager="x",
            beneficiaries="y",
            manager_duties="z",
            beneficiary_duties="w",
            signed_on=day(43).date(),
            ends_on=day(400).date(),
            now=day(43),
        )
    assert twice.value.code == "contract_exists"


def test_selection_needs_the_streets_proposal_meeting_a_budget_and_a_timetable_once():
    zone = staffed_zone()
    committee, street = zone.committee, zone.committee.street
    project = _propose(committee)
    representatives = meeting_schedule(
        type=MeetingType.objects.get(code="representatives"), unit=committee, starts_at=day(10), actor=None, now=day(0)
    )
    with pytest.raises(InvalidInput) as wrong_meeting:
        _select(project, representatives)
    assert wrong_meeting.value.field == "meeting"
    other_street = _proposal_meeting(StreetFactory())
    with pytest.raises(InvalidInput):
        _select(project, other_street)
    meeting = _proposal_meeting(street)
    with pytest.raises(InvalidInput) as later:
        _select(project, _proposal_meeting(street, on=30))
    assert later.value.field == "meeting"  # it has not begun
    for field, value in (("budget", None), ("responsible_unit", ""), ("due_on", day(5).date())):
        with pytest.raises(InvalidInput) as missing:
            _select(project, meeting, **{field: value})
        assert missing.value.field == field
    with pytest.raises(NotPermitted):  # selection is the street's, not the committee's
        livelihood.project_decide(
            project=project, actor=staff_of(committee), meeting=meeting, selected=False, note="x", now=day(11)
        )
    _select(project, meeting)
    with pytest.raises(InvalidTransition) as again:
        _select(project, meeting)
    assert again.value.code == "decided"


def test_a_review_by_someone_outside_the_street_is_refused():
    zone = staffed_zone()
    project = _select(_propose(zone.committee), _proposal_meeting(zone.committee.street))
    staff = _street_staff(project.street)
    services.progress_report(project=project, actor=staff, progress=100, now=day(30))
    livelihood.project_complete(project=project, actor=staff, now=day(30))
    contract = livelihood.contract_sign(
        project=project,
        actor=staff,
        manager="物业公司",
        beneficiaries="居民",
        manager_duties="维护",
        beneficiary_duties="爱护",
        signed_on=day(31).date(),
        ends_on=day(400).date(),
        now=day(31),
    )
    outsiders = [
        UserFactory(role=User.Role.STREET_STAFF, street=StreetFactory()),
        UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory(street=project.street)),
    ]
    for outsider in outsiders:
        with pytest.raises(NotPermitted):
            livelihood.contract_review(contract=contract, actor=outsider, findings="损坏", breach=True, now=day(60))
    assert not Ticket.objects.exists() and not contract.reviews.exists()
    with pytest.raises(InvalidInput) as before_signing:
        livelihood.contract_review(
            contract=contract, actor=staff, findings="x", breach=False, reviewed_on=day(20).date(), now=day(60)
        )
    assert before_signing.value.field == "reviewed_on"


def test_proposals_only_from_those_who_act_for_the_committee():
    zone = staffed_zone()
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory())
    with pytest.raises(NotPermitted):
        _propose(zone.committee, actor=stranger)
    with pytest.raises(InvalidInput) as nowhere:
        livelihood.project_propose(
            actor=staff_of(zone.committee), unit=zone.committee, title="x", location=" ", proposed_by="committee"
        )
    assert nowhere.value.field == "location"
    assert START.date().month == 11  # the round of the proposals above: the second half-year
