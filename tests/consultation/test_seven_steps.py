"""Seed 002's seven steps on PostgreSQL: in order, never skipped, a vote against its quorum,
a rejection that ends the matter, the notice period before implementation, the result
published only once supervised and signed off; every id checked against the person's scope."""

import threading

import pytest
from django.db import connection

from consultation import services
from consultation.models import Matter, MatterEvent, MatterStatus, Source, Step
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from meetings.models import Meeting, MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.consultation.helpers import day, raise_matter, record, staff_of, supervise, through
from tests.factories import CommitteeFactory, UserFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def test_a_matter_goes_through_the_seven_steps_to_a_published_result():
    zone = staffed_zone()
    committee = zone.committee
    matter = raise_matter(committee)
    assert matter.status == MatterStatus.DELIBERATING and matter.next_step == Step.PROPOSED

    through(matter, 4)
    assert matter.status == MatterStatus.RESOLVED
    vote = matter.steps.get(number=Step.RESOLVED)
    assert (vote.present, vote.votes_for, vote.passed) == (24, 20, True)

    record(matter, 5, on=4)
    matter.refresh_from_db()
    assert matter.status == MatterStatus.IN_NOTICE
    assert matter.notice_ends_on == day(4 + 7).date()

    services.milestone_add(
        matter=matter, actor=staff_of(committee), title="清理楼道堆放物", due_on=day(20).date(), now=day(5)
    )
    supervise(matter, on=5)
    through(matter, 6)
    assert matter.status == MatterStatus.IMPLEMENTING
    assert (matter.responsible_unit, matter.responsible_person) == ("居委会", "李明")

    staff = staff_of(committee)
    services.milestone_done(milestone=matter.milestones.get(), actor=staff, now=day(15))
    services.progress_report(matter=matter, actor=staff, progress=100, note="完工", now=day(15))
    for supervisor in matter.supervisors.all():
        services.supervisor_sign_off(supervisor=supervisor, actor=staff, opinion="同意验收", now=day(16))
    record(matter, 7, on=16, outcome="五件事全部完成。")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.COMPLETED
    assert list(matter.steps.values_list("number", flat=True)) == list(Step.values)
    kinds = list(matter.events.values_list("kind", flat=True))
    assert kinds.count(MatterEvent.Kind.STEP) == 7 and kinds[0] == MatterEvent.Kind.RAISED
    with pytest.raises(InvalidTransition) as done:
        record(matter, 7, on=17)
    assert done.value.code == "completed"


def test_a_step_cannot_be_skipped_nor_recorded_twice():
    matter = raise_matter(staffed_zone().committee)
    with pytest.raises(InvalidTransition) as skipped:
        record(matter, 2, on=0)
    assert skipped.value.code == "step_skipped"
    record(matter, 1, on=0)
    with pytest.raises(InvalidTransition) as twice:
        record(matter, 1, on=1)
    assert twice.value.code == "step_recorded"
    with pytest.raises(InvalidTransition) as jumped:
        record(matter, 4, on=1)
    assert jumped.value.code == "step_skipped"
    assert Matter.objects.get(pk=matter.pk).step == 1


def test_a_step_is_dated_after_the_one_before_and_not_in_the_future():
    matter = raise_matter(staffed_zone().committee)
    record(matter, 1, on=3)
    with pytest.raises(InvalidInput) as earlier:
        record(matter, 2, on=2)
    assert earlier.value.field == "held_on"
    with pytest.raises(InvalidInput) as future:
        services.step_record(
            matter=matter,
            actor=staff_of(matter.committee),
            number=2,
            held_on=day(9).date(),
            outcome="x",
            participants="王辉",
            passed=True,
            now=day(4),
        )
    assert future.value.field == "held_on"


def test_the_vote_needs_its_quorum_and_a_majority_of_those_present():
    matter = through(raise_matter(staffed_zone().committee), 3)
    with pytest.raises(InvalidTransition) as no_quorum:
        record(matter, 4, on=5, vote=services.Vote(representatives=30, present=19, votes_for=19))
    assert no_quorum.value.code == "no_quorum"
    with pytest.raises(InvalidInput) as too_many:
        record(matter, 4, on=5, vote=services.Vote(representatives=30, present=20, votes_for=15, votes_against=6))
    assert too_many.value.field == "votes_for"
    assert Matter.objects.get(pk=matter.pk).step == 3
    # Half of those present is not a majority: the resolution fails, and needs its reason.
    with pytest.raises(InvalidInput) as no_reason:
        record(matter, 4, on=5, vote=services.Vote(representatives=30, present=20, votes_for=10, votes_against=10))
    assert no_reason.value.field == "rejection_reason"
    record(
        matter,
        4,
        on=5,
        vote=services.Vote(representatives=30, present=20, votes_for=10, votes_against=10),
        rejection_reason="费用分摊未达成一致。",
    )
    matter.refresh_from_db()
    assert matter.status == MatterStatus.REJECTED and matter.rejection_reason == "费用分摊未达成一致。"
    assert matter.events.filter(kind=MatterEvent.Kind.REJECTED).count() == 1
    with pytest.raises(InvalidTransition) as ended:
        record(matter, 5, on=6)
    assert ended.value.code == "rejected"


def test_turned_down_at_deliberation_ends_the_matter_with_its_reason():
    matter = through(raise_matter(staffed_zone().committee), 1)
    record(matter, 2, on=1, passed=False, rejection_reason="属于物业公司职责，不宜动用公共经费。")
    matter.refresh_from_db()
    assert matter.status == MatterStatus.REJECTED and matter.next_step is None


def test_implementation_waits_for_the_end_of_the_notice_period():
    matter = through(raise_matter(staffed_zone().committee), 5)
    ends = (matter.notice_ends_on - day(0).date()).days
    with pytest.raises(InvalidTransition) as early:
        record(matter, 6, on=ends - 1)
    assert early.value.code == "in_notice"
    with pytest.raises(InvalidInput) as nobody:
        record(matter, 6, on=ends, responsible_person="")
    assert nobody.value.field == "responsible_person"
    record(matter, 6, on=ends)
    assert Matter.objects.get(pk=matter.pk).step == Step.IMPLEMENTED


def test_the_result_is_published_only_when_done_supervised_and_signed_off():
    matter = through(raise_matter(staffed_zone().committee), 5)
    staff = staff_of(matter.committee)
    milestone = services.milestone_add(matter=matter, actor=staff, title="修路", due_on=day(30).date(), now=day(5))
    through(matter, 6)
    with pytest.raises(InvalidTransition) as open_milestone:
        record(matter, 7, on=20)
    assert open_milestone.value.code == "milestones_open"
    services.milestone_done(milestone=milestone, actor=staff, now=day(20))
    with pytest.raises(InvalidTransition) as progress:
        record(matter, 7, on=20)
    assert progress.value.code == "progress"
    services.progress_report(matter=matter, actor=staff, progress=100, now=day(20))
    with pytest.raises(InvalidTransition) as unsupervised:
        record(matter, 7, on=20)
    assert unsupervised.value.code == "supervisors_missing"
    supervise(matter, on=20)
    with pytest.raises(InvalidTransition) as unsigned:
        record(matter, 7, on=20)
    assert unsigned.value.code == "not_signed_off"
    first, second = matter.supervisors.all()
    services.supervisor_sign_off(supervisor=first, actor=staff, opinion="合格", now=day(21))
    with pytest.raises(InvalidTransition):
        services.supervisor_sign_off(supervisor=first, actor=staff, opinion="again", now=day(21))
    services.supervisor_sign_off(supervisor=second, actor=staff, opinion="合格", now=day(21))
    record(matter, 7, on=21)
    assert Matter.objects.get(pk=matter.pk).status == MatterStatus.COMPLETED


def test_a_step_names_a_meeting_of_the_matters_own_committee_only():
    zone = staffed_zone()
    matter = through(raise_matter(zone.committee), 3)
    staff = staff_of(zone.committee)
    representatives = MeetingType.objects.get(code="representatives")
    own = meeting_schedule(type=representatives, unit=zone.committee, starts_at=day(4), actor=staff, now=day(0))
    other_committee = CommitteeFactory(street=zone.committee.street)
    UserFactory(role=User.Role.COMMITTEE_STAFF, committee=other_committee)
    other = meeting_schedule(type=representatives, unit=other_committee, starts_at=day(4), actor=None, now=day(0))
    with pytest.raises(InvalidInput) as foreign:
        record(matter, 4, on=5, meeting=other)
    assert foreign.value.field == "meeting"
    step = services.step_record(
        matter=matter,
        actor=staff,
        number=4,
        meeting=own,
        outcome="通过",
        participants="居民代表30人",
        vote=services.Vote(representatives=30, present=25, votes_for=22),
        now=day(5),
    )
    assert step.meeting == own and step.held_on == day(4).date()
    assert Meeting.objects.get(pk=own.pk).consultation_steps.get() == step


def test_only_those_who_act_for_the_committee_record_its_steps():
    zone = staffed_zone()
    matter = raise_matter(zone.committee)
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory())
    member = User.objects.get(role=User.Role.ZONE_MEMBER, memberships__team__zone=zone)
    street_staff = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    for outsider in (stranger, member):
        with pytest.raises(NotPermitted):
            record(matter, 1, on=0, actor=outsider)
    with pytest.raises(NotPermitted):
        raise_matter(zone.committee, actor=stranger)
    record(matter, 1, on=0, actor=street_staff)  # the street acts for its committees
    assert Matter.objects.get(pk=matter.pk).step == 1


def test_raised_from_a_ticket_links_it_and_checks_it_belongs_to_the_committee():
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    matter = raise_matter(zone.committee, ticket=ticket)
    assert matter.source == Source.TICKET and list(ticket.consultation_matters.all()) == [matter]
    elsewhere = make_ticket()
    with pytest.raises(InvalidInput) as foreign:
        raise_matter(zone.committee, ticket=elsewhere)
    assert foreign.value.field == "ticket"
    with pytest.raises(InvalidInput) as missing:
        raise_matter(zone.committee, source=Source.TICKET)
    assert missing.value.field == "ticket"
    with pytest.raises(InvalidInput) as untitled:
        raise_matter(zone.committee, title="  ")
    assert untitled.value.field == "title"


@pytest.mark.django_db(transaction=True)
def test_two_people_recording_the_same_step_at_once_record_it_once():
    zone = staffed_zone()
    matter = raise_matter(zone.committee)
    people = [staff_of(zone.committee), User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)]
    outcomes, barrier = [], threading.Barrier(2)

    def record_first_step(person):
        try:
            barrier.wait()
            record(matter, 1, on=0, actor=person)
            outcomes.append("recorded")
        except InvalidTransition as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=record_first_step, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "step_recorded"]
    assert matter.steps.count() == 1 and Matter.objects.get(pk=matter.pk).step == 1
