"""Residents rate the community (居民评社区): the questionnaire taken at the door by the zone
team, or answered through a link; its results per zone and committee in the reports, with
the number of households beside every rate and no rank below the minimum sample; and the
residents' verdicts in the department scorecards."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import InvalidInput, NotPermitted
from escalation import transitions
from reports.selectors import ReportUnit, statistics
from responders.models import User
from responders.selectors import EVERYTHING
from surveys.models import Question, Questionnaire, SurveyLink, SurveyResponse
from surveys.services import survey_answer_record, survey_link_create
from tests.factories import (
    CommitteeFactory,
    HouseholdFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    ZoneFactory,
    department_for,
    make_ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire(zone):
    questionnaire = Questionnaire.objects.create(street=zone.committee.street, title="居民评社区")
    for position, text in enumerate(["走访联系满意吗？", "问题办理及时吗？"], 1):
        Question.objects.create(questionnaire=questionnaire, text=text, position=position)
    return questionnaire


@pytest.fixture
def member(zone):
    return User.objects.get(memberships__team__zone=zone)


@pytest.fixture
def household(zone):
    return HouseholdFactory(zone=zone, address="瞿溪路 500 弄 3 号 502 室", contact_name="王芳")


def _answers(questionnaire, *scores, **extra):
    questions = list(questionnaire.questions.all())
    return {**{f"q{q.pk}": score for q, score in zip(questions, scores, strict=False)}, **extra}


def test_the_zone_team_takes_it_at_the_door_once_however_often_the_form_is_sent(
    client, member, household, questionnaire
):
    client.force_login(member)
    page = client.get(f"/households/{household.pk}/").content.decode()
    assert "居民评社区" in page and f"/households/{household.pk}/questionnaire/" in page
    form = client.get(f"/households/{household.pk}/questionnaire/").content.decode()
    client_id = re.search(r'name="client_id" value="([^"]+)"', form).group(1)

    body = _answers(questionnaire, 5, 3, comment="楼道灯修得很快", client_id=client_id)
    first = client.post(f"/households/{household.pk}/questionnaire/", body)
    again = client.post(f"/households/{household.pk}/questionnaire/", body)  # a retry on a weak network

    assert first.status_code == again.status_code == 302
    (response,) = SurveyResponse.objects.all()
    assert (response.via, response.household, response.zone, response.recorded_by) == (
        "door",
        household,
        household.zone,
        member,
    )
    assert response.comment == "楼道灯修得很快"
    assert sorted(response.answers.values_list("score", flat=True)) == [3, 5]


def test_every_question_needs_one_to_five_points_and_the_error_names_it(client, member, household, questionnaire):
    client.force_login(member)
    first, second = questionnaire.questions.all()

    missing = client.post(f"/households/{household.pk}/questionnaire/", {f"q{first.pk}": 4})
    wrong = client.post(f"/households/{household.pk}/questionnaire/", {f"q{first.pk}": 4, f"q{second.pk}": 7})

    assert missing.status_code == wrong.status_code == 400
    assert f'data-field="q{second.pk}"' in missing.content.decode()
    assert 'class="error"' in wrong.content.decode()
    assert not SurveyResponse.objects.exists()
    with pytest.raises(InvalidInput) as refused:
        survey_answer_record(household=household, scores={first.pk: 4, second.pk: 0}, actor=member)
    assert refused.value.field == f"q{second.pk}"


def test_only_those_who_act_for_the_household_take_it(client, household, questionnaire, zone):
    other_zone = ZoneFactory(committee=CommitteeFactory(street=zone.committee.street))
    stranger = UserFactory(role=User.Role.ZONE_MEMBER)
    MembershipFactory(team=TeamFactory(zone=other_zone), user=stranger)
    client.force_login(stranger)

    assert client.get(f"/households/{household.pk}/questionnaire/").status_code == 404
    assert client.post(f"/households/{household.pk}/questionnaire/link/").status_code == 404
    with pytest.raises(NotPermitted):
        survey_link_create(household=household, actor=stranger)
    assert Client().get(f"/households/{household.pk}/questionnaire/").status_code == 302  # to sign in


def test_without_a_questionnaire_in_use_there_is_nothing_to_take(client, member, household):
    client.force_login(member)
    assert "survey-actions" not in client.get(f"/households/{household.pk}/").content.decode()
    answer = client.get(f"/households/{household.pk}/questionnaire/", follow=True)
    assert "没有正在使用的问卷" in answer.content.decode() or "no questionnaire in use" in answer.content.decode()


def test_a_link_is_answered_once_without_signing_in(client, member, household, questionnaire):
    # given: the team member makes a link at the household's page
    client.force_login(member)
    made = client.post(f"/households/{household.pk}/questionnaire/link/")
    url = re.search(r'value="http://testserver(/q/[^/"]+/)" data-testid="survey-link"', made.content.decode()).group(1)
    assert SurveyLink.objects.get().token_hash not in url  # only the hash is kept

    # when: the resident opens it on their own phone and answers
    resident = Client()
    form = resident.get(url)
    answered = resident.post(url, _answers(questionnaire, 4, 4))
    twice = resident.post(url, _answers(questionnaire, 1, 1))

    # then: one answer, by link, nothing personal on the pages
    assert form.status_code == 200 and "居民评社区" in form.content.decode()
    for page in (form, answered, twice):
        assert "王芳" not in page.content.decode() and "502" not in page.content.decode()
    assert 'data-testid="answered"' in answered.content.decode()
    assert 'data-testid="answered"' in twice.content.decode()
    (response,) = SurveyResponse.objects.all()
    assert (response.via, response.recorded_by, response.household) == ("link", None, household)
    assert sorted(response.answers.values_list("score", flat=True)) == [4, 4]


def test_a_wrong_or_expired_link_is_404(member, household, questionnaire):
    link, token = survey_link_create(household=household, actor=member)
    assert Client().get(f"/q/{token}x/").status_code == 404
    SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(f"/q/{token}/").status_code == 404


def _answer(household, actor, *scores):
    questions = list(Questionnaire.objects.get(active=True).questions.all())
    survey_answer_record(
        household=household, scores={q.pk: s for q, s in zip(questions, scores, strict=True)}, actor=actor
    )


def test_results_per_committee_and_zone_with_counts_and_no_rank_below_the_minimum(
    client, settings, zone, member, questionnaire
):
    # given: a minimum of 3 households; the first committee's zone with 3 answers, a second
    # committee's zone with 2 (all 5 points: it would top the ranking)
    settings.ZHITONG_SURVEY_MIN_SAMPLE = 3
    street = zone.committee.street
    small_zone = ZoneFactory(committee=CommitteeFactory(street=street, name="小样本居民区"), name="小样本责任区")
    staff = User.objects.get(role=User.Role.STREET_STAFF, street=street)
    for scores in ((4, 4), (3, 5), (2, 4)):
        _answer(HouseholdFactory(zone=zone), member, *scores)
    for _ in range(2):
        _answer(HouseholdFactory(zone=small_zone), staff, 5, 5)

    # when
    today = timezone.localdate()
    community = statistics(EVERYTHING, ReportUnit(street_id=street.pk), today.replace(day=1), today + dt.timedelta(1))[
        "community"
    ]

    # then
    assert community["overall"]["responses"] == 5 and community["overall"]["answers"] == 10
    assert [(row["name"], row["responses"], row["rank"]) for row in community["by_committee"]] == [
        (zone.committee.name, 3, 1),
        ("小样本居民区", 2, None),
    ]
    ranked = community["by_zone"][0]
    assert (ranked["mean"], ranked["satisfied_rate"], ranked["answers"]) == (3.67, round(4 / 6, 4), 6)
    assert community["by_zone"][1]["rank"] is None and community["by_zone"][1]["mean"] == 5.0
    assert [row["mean"] for row in community["questions"]] == [3.8, 4.6]
    # and the dashboard shows the counts beside the rates, the small unit not ranked
    client.force_login(staff)
    page = client.get("/dashboard/").content.decode()
    table = page[page.index('data-testid="community-committees"') :]
    assert '<td data-testid="responses">3</td>' in table and '<td data-testid="responses">2</td>' in table
    assert "不参与排名" in table or "not ranked" in table


def test_a_committees_staff_see_only_their_committees_results(client, zone, member, questionnaire):
    street = zone.committee.street
    other = ZoneFactory(committee=CommitteeFactory(street=street))
    staff = User.objects.get(role=User.Role.STREET_STAFF, street=street)
    _answer(HouseholdFactory(zone=zone), member, 4, 4)
    _answer(HouseholdFactory(zone=other), staff, 2, 2)
    committee_staff = User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee)

    client.force_login(committee_staff)
    page = client.get("/reports/mine/", {"month": f"{timezone.localdate():%Y-%m}"}).content.decode()

    table = page[page.index('data-testid="community-zones"') :]
    assert zone.name in table and other.name not in table


def test_the_department_scorecards_gain_the_residents_verdicts(zone):
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test")
    department = department_for(ticket, name="五里桥城管中队")
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", department=department)
    ticket = transitions.ticket_department_reply(ticket=ticket, actor="test", answer="已拆除违建")
    ticket = transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved", reason="已拆除")
    transitions.ticket_record_feedback(ticket=ticket, actor="test", satisfaction="dissatisfied", collected_via="phone")
    other = make_ticket(zone=zone)
    other = transitions.ticket_resolve(ticket=other, actor="test", outcome="solved", reason="好了")
    transitions.ticket_record_feedback(ticket=other, actor="test", satisfaction="satisfied", collected_via="phone")

    today = timezone.localdate()
    stats = statistics(
        EVERYTHING, ReportUnit(street_id=zone.committee.street_id), today.replace(day=1), today + dt.timedelta(1)
    )

    (row,) = stats["departments"]
    assert (row["department_name"], row["verdicts"], row["verdict_rate"]) == ("五里桥城管中队", 1, 0.0)
