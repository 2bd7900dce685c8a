"""Implementation tracked like a promise: milestones, progress, and late milestones alerted
through the alerts app exactly once, from the beat task as from a second sweep at once."""

import threading

import pytest
from django.db import connection

from alerts.models import Notification
from consultation import services
from consultation.models import MatterEvent, Milestone
from consultation.tasks import sweep_late_consultation_milestones
from core.errors import InvalidInput, InvalidTransition
from responders.models import User
from tests.consultation.helpers import day, raise_matter, staff_of, through
from tests.factories import staffed_zone


def _implementing(zone):
    matter = through(raise_matter(zone.committee), 5)
    staff = staff_of(zone.committee)
    late = services.milestone_add(matter=matter, actor=staff, title="拆除违建", due_on=day(14).date(), now=day(5))
    services.milestone_add(matter=matter, actor=staff, title="绿化补种", due_on=day(20).date(), now=day(5))
    leader = zone.committee.duty_leader
    through(matter, 6)
    matter.responsible_user = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    matter.save(update_fields=["responsible_user"])
    return matter, late, staff, leader


@pytest.mark.django_db
def test_a_late_milestone_alerts_once_the_responsible_the_raiser_and_the_duty_leader():
    matter, late, staff, leader = _implementing(staffed_zone())
    assert services.sweep_late_milestones(now=day(14)) == 0  # due today: not late yet
    assert services.sweep_late_milestones(now=day(15)) == 1
    alerts = Notification.objects.filter(kind=Notification.Kind.MILESTONE_LATE)
    assert {a.recipient_id for a in alerts} == {staff.pk, leader.pk, matter.responsible_user_id}
    assert all(a.link == f"/consultation/{matter.pk}/" and "拆除违建" in a.subject for a in alerts)
    # Again, later, and from beat's task: nothing more for the same milestone.
    assert services.sweep_late_milestones(now=day(16)) == 0
    assert (
        sweep_late_consultation_milestones() == "alerted 1 late milestones, 0 late follow-ups"
    )  # today: the other is late too
    assert Notification.objects.filter(kind=Notification.Kind.MILESTONE_LATE).count() == 6
    assert matter.events.filter(kind=MatterEvent.Kind.MILESTONE_LATE).count() == 2


@pytest.mark.django_db
def test_a_milestone_done_in_time_or_a_finished_matter_never_alerts():
    matter, late, staff, _leader = _implementing(staffed_zone())
    services.milestone_done(milestone=late, actor=staff, now=day(13))
    services.milestone_done(milestone=late, actor=staff, now=day(13))  # a retry changes nothing
    assert services.sweep_late_milestones(now=day(20)) == 0
    assert Milestone.objects.get(pk=late.pk).done_on == day(13).date()


@pytest.mark.django_db
def test_progress_and_milestones_only_while_it_applies():
    zone = staffed_zone()
    matter = through(raise_matter(zone.committee), 3)
    staff = staff_of(zone.committee)
    with pytest.raises(InvalidTransition):
        services.milestone_add(matter=matter, actor=staff, title="太早", due_on=day(9).date(), now=day(3))
    through(matter, 5)
    with pytest.raises(InvalidTransition):  # carrying out has not started: no progress yet
        services.progress_report(matter=matter, actor=staff, progress=10, now=day(6))
    through(matter, 6)
    for bad in (-1, 101, "50"):
        with pytest.raises(InvalidInput) as error:
            services.progress_report(matter=matter, actor=staff, progress=bad, now=day(20))
        assert error.value.field == "progress"
    services.progress_report(matter=matter, actor=staff, progress=40, note="已完成路面", now=day(20))
    event = matter.events.get(kind=MatterEvent.Kind.PROGRESS)
    assert event.data == {"before": 0, "after": 40} and event.note == "已完成路面"


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_alert_each_late_milestone_once():
    zone = staffed_zone()
    matter, _late, _staff, _leader = _implementing(zone)
    staff = staff_of(zone.committee)
    for n in range(20):
        services.milestone_add(matter=matter, actor=staff, title=f"节点{n}", due_on=day(12).date(), now=day(20))
    results, barrier = [], threading.Barrier(2)

    def sweep():
        try:
            barrier.wait()
            results.append(services.sweep_late_milestones(now=day(50)))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 22
    assert Notification.objects.filter(kind=Notification.Kind.MILESTONE_LATE).count() == 22 * 3
