"""The year-end democratic evaluation (民主评议会, seed 002): the report on duty drafted from the
year's figures, the problem and task lists, tasks carried into the next year, the scores of
the committee and its cadres, the opinion and its printable page; and the refusals."""

import datetime as dt

import pytest
from django.urls import reverse

from consultation import evaluation as services
from consultation.models import EvaluationScore, EvaluationTask, YearEndEvaluation
from core.clock import SHANGHAI
from core.errors import InvalidInput, InvalidTransition, NotPermitted
from meetings.models import MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.consultation.helpers import staff_of
from tests.factories import CommitteeFactory, UserFactory, staffed_zone

pytestmark = pytest.mark.django_db

CRITERIA = ["服务态度", "办事效率", "办理结果", "廉洁自律"]


def _at(year, month=12, day=20, hour=14):
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def _meeting(committee, year, code="democratic_evaluation"):
    return meeting_schedule(
        type=MeetingType.objects.get(code=code), unit=committee, starts_at=_at(year), actor=None, now=_at(year, 12, 1)
    )


def _scores(value=4):
    return dict.fromkeys(CRITERIA, value)


def test_a_year_from_report_to_printed_opinion_and_tasks_carried_into_the_next():
    zone = staffed_zone()
    committee = zone.committee
    staff = staff_of(committee)
    evaluation = services.evaluation_open(actor=staff, meeting=_meeting(committee, 2025), now=_at(2025, 12, 10))
    assert evaluation.year == 2025 and "2025" in evaluation.duty_report
    # Opening again (a retried post) is the same evaluation.
    assert services.evaluation_open(actor=staff, meeting=evaluation.meeting, now=_at(2025, 12, 10)) == evaluation
    services.duty_report_save(evaluation=evaluation, actor=staff, text="一年来，居委会……")
    services.problem_add(evaluation=evaluation, actor=staff, text="楼道堆物反复出现")
    services.problem_add(evaluation=evaluation, actor=staff, text="楼道堆物反复出现")
    done = services.task_add(
        evaluation=evaluation, actor=staff, text="建立楼道巡查制度", responsible="李明", due_on=dt.date(2026, 6, 30)
    )
    carried = services.task_add(
        evaluation=evaluation, actor=staff, text="加装电动车充电桩", responsible="张丽", due_on=dt.date(2026, 9, 30)
    )
    assert evaluation.problems.count() == 1 and evaluation.tasks.count() == 2
    services.score_record(
        evaluation=evaluation, actor=staff, subject="committee", scores=_scores(4), raters=28, now=_at(2025)
    )
    services.score_record(
        evaluation=evaluation,
        actor=staff,
        subject="cadre",
        name="王辉",
        post="党委书记",
        scores={"服务态度": 4.6, "办事效率": 4.2, "办理结果": "4.4", "廉洁自律": 5},
        raters=28,
        now=_at(2025),
    )
    # A recount replaces the scores, it does not add a row.
    services.score_record(
        evaluation=evaluation, actor=staff, subject="committee", scores=_scores(5), raters=30, now=_at(2025)
    )
    rows = {row.name: row for row in evaluation.scores.all()}
    assert set(rows) == {committee.name, "王辉"} and rows[committee.name].average == 5.0
    assert rows["王辉"].average == round((4.6 + 4.2 + 4.4 + 5) / 4, 1)
    services.opinion_give(evaluation=evaluation, actor=staff, text="总体满意，望加快充电桩建设。", now=_at(2025))

    services.task_track(task=done, actor=staff, status="done", note="已建立", now=_at(2026, 5, 2))
    services.task_track(task=carried, actor=staff, status="in_progress", now=_at(2026, 8, 2))
    following = services.evaluation_open(actor=staff, meeting=_meeting(committee, 2026), now=_at(2026, 12, 10))
    carried.refresh_from_db()
    assert carried.status == EvaluationTask.Status.CARRIED
    [copy] = following.tasks.all()
    assert copy.carried_from == carried and copy.text == "加装电动车充电桩" and copy.status == "in_progress"
    with pytest.raises(InvalidTransition):
        services.task_track(task=carried, actor=staff, status="done")


def test_refusals_name_their_field_or_state():
    zone = staffed_zone()
    committee = zone.committee
    staff = staff_of(committee)
    with pytest.raises(InvalidInput) as wrong_type:
        services.evaluation_open(actor=staff, meeting=_meeting(committee, 2025, code="hearing"))
    assert wrong_type.value.field == "meeting"
    outsider = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory())
    with pytest.raises(NotPermitted):
        services.evaluation_open(actor=outsider, meeting=_meeting(committee, 2025))
    evaluation = services.evaluation_open(actor=staff, meeting=_meeting(committee, 2025), now=_at(2025, 12, 1))
    with pytest.raises(InvalidInput) as second:
        services.evaluation_open(actor=staff, meeting=_meeting(committee, 2025))
    assert second.value.field == "meeting"  # once a year
    # Scores before the meeting has begun; out of range; a cadre without a name.
    with pytest.raises(InvalidTransition):
        services.score_record(
            evaluation=evaluation, actor=staff, subject="committee", scores=_scores(), raters=9, now=_at(2025, 12, 1)
        )
    for kwargs, field in (
        ({"subject": "committee", "scores": _scores(6), "raters": 9}, "服务态度"),
        ({"subject": "committee", "scores": {**_scores(), "廉洁自律": "x"}, "raters": 9}, "廉洁自律"),
        ({"subject": "cadre", "scores": _scores(), "raters": 9}, "name"),
        ({"subject": "committee", "scores": _scores(), "raters": 0}, "raters"),
        ({"subject": "nobody", "scores": _scores(), "raters": 9}, "subject"),
    ):
        with pytest.raises(InvalidInput) as error:
            services.score_record(evaluation=evaluation, actor=staff, now=_at(2025), **kwargs)
        assert error.value.field == field
    with pytest.raises(InvalidTransition):  # the committee is not scored yet
        services.opinion_give(evaluation=evaluation, actor=staff, text="x", now=_at(2025))
    with pytest.raises(InvalidInput) as early:
        services.task_add(evaluation=evaluation, actor=staff, text="x", responsible="y", due_on=dt.date(2024, 1, 1))
    assert early.value.field == "due_on"
    with pytest.raises(NotPermitted):
        services.problem_add(evaluation=evaluation, actor=outsider, text="x")
    assert EvaluationScore.objects.count() == 0


def test_the_screens_the_printable_opinion_and_scope(client):
    zone = staffed_zone()
    committee = zone.committee
    staff = staff_of(committee)
    meeting = _meeting(committee, 2025)
    client.force_login(staff)
    listing = client.get(reverse("evaluations"))
    assert listing.status_code == 200 and f'value="{meeting.pk}"' in listing.content.decode()
    opened = client.post(reverse("evaluation_open"), {"meeting": meeting.pk})
    evaluation = YearEndEvaluation.objects.get(meeting=meeting)
    assert opened.status_code == 302 and opened["Location"] == reverse("evaluation", args=[evaluation.pk])
    url = reverse("evaluation_act", args=[evaluation.pk, "task"])
    bad = client.post(url, {"text": "加装充电桩", "responsible": "张丽", "due_on": "not a date"})
    assert bad.status_code == 400 and "due_on" in bad.content.decode()
    assert client.post(url, {"text": "加装充电桩", "responsible": "张丽", "due_on": "2026-09-30"}).status_code == 302
    score = {"subject": "committee", "raters": "20", **{f"score_{i}": "4.5" for i in range(4)}}
    client.post(reverse("evaluation_act", args=[evaluation.pk, "score"]), score)
    client.post(reverse("evaluation_act", args=[evaluation.pk, "opinion"]), {"opinion": "总体满意。"})
    page = client.get(reverse("evaluation_print", args=[evaluation.pk])).content.decode()
    assert "总体满意。" in page and "加装充电桩" in page and "4.5" in page
    # The scores in the type's order of criteria, whatever order the database keeps them in.
    scored = page[page.index('data-testid="print-scores"') :]
    assert [scored.index(c) for c in CRITERIA] == sorted(scored.index(c) for c in CRITERIA)
    # Someone of another street sees none of it.
    client.force_login(UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory()))
    assert client.get(reverse("evaluation_print", args=[evaluation.pk])).status_code == 404
    assert client.post(reverse("evaluation_act", args=[evaluation.pk, "problem"]), {"text": "x"}).status_code == 404
