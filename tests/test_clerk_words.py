"""Words a clerk understands (issue 15, item 9): what a refusal and a success say on the
ticket page, the ways a feedback call is made, and the catalogue's punctuation."""

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

from core.enums import Status
from escalation import transitions
from escalation.forms import FeedbackForm
from responders.models import User
from tests.factories import make_ticket

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH = {"accept-language": "zh-hans"}


def member_of(zone) -> User:
    return User.objects.get(memberships__team__zone=zone)


@pytest.mark.django_db
def test_acting_on_a_page_someone_else_changed_says_what_changed_not_which_version(client, zone):
    ticket = make_ticket(zone=zone)
    client.force_login(member_of(zone))
    transitions.ticket_start(ticket=ticket, actor="someone else")

    response = client.post(
        f"/tickets/{ticket.pk}/actions/escalate/",
        {"version": ticket.version, "escalate-reason": "上报"},
        headers=ZH,
        follow=True,
    )

    page = response.content.decode()
    assert response.redirect_chain == [(f"/tickets/{ticket.pk}/", 302)]  # the fresh page
    assert "版本" not in page and "而非" not in page
    assert f"您打开工单 {ticket.reference} 之后，已有他人处理（最近一步：开始办理，当前状态：办理中）" in page
    assert "您的操作没有保存" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data", "said"),
    [
        ("acknowledge", {}, "已受理。"),
        ("escalate", {"escalate-reason": "需要居委会协调"}, "已上报上级。"),
    ],
)
def test_a_done_action_is_said_as_a_sentence(client, zone, action, data, said):
    ticket = make_ticket(zone=zone)
    client.force_login(member_of(zone))

    response = client.post(
        f"/tickets/{ticket.pk}/actions/{action}/", {"version": ticket.version, **data}, headers=ZH, follow=True
    )

    page = response.content.decode()
    assert f'<li class="success">{said}</li>' in page
    assert "已完成" not in page


@pytest.mark.django_db
def test_staff_record_feedback_the_ways_a_door_knocker_collects_it(client, zone):
    ticket = make_ticket(zone=zone)
    transitions.ticket_resolve(ticket=ticket, actor="test", outcome="solved")
    with translation.override("zh-hans"):
        offered = dict(FeedbackForm().fields["collected_via"].choices)
    assert list(offered) == ["visit", "phone", "in_person"]
    assert [str(label) for label in offered.values()] == ["上门回访", "电话回访", "当面回访"]

    client.force_login(member_of(zone))
    refused = client.post(
        f"/tickets/{ticket.pk}/actions/feedback/",
        {"version": ticket.version, "feedback-satisfaction": "satisfied", "feedback-collected_via": "partner"},
        headers=ZH,
    )
    assert refused.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def chinese_with_half_width_marks(text: str) -> list[str]:
    """Half-width , : ; ( ) ! ? touching Chinese (a placeholder counts as the Chinese it stands
    for); URLs and scopes such as `tickets:read` are left alone."""
    text = re.sub(r"https?://\S*|\b[a-z_]+:[a-z_]+\b", "", text)
    text = re.sub(r"%\([a-z_]+\)[sd]", "字", text)
    han = r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
    return re.findall(rf"{han}\s?[,:;()!?]|[,:;()!?]\s?{han}", text)


def test_the_chinese_catalogue_uses_full_width_punctuation():
    assert chinese_with_half_width_marks("已完成: 受理, 共 %(count)s 件") == ["成:", "理,"]
    offenders = [
        f"{entry.msgid!r} → {entry.msgstr!r}"
        for entry in polib.pofile(str(CATALOGUE))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]
        if chinese_with_half_width_marks(text)
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "{name}（成员）"), ("en", "{name} (member)")])
def test_a_visitor_is_named_with_the_brackets_of_the_readers_language(client, zone, language, expected):
    """ "沈华（team lead）": the role was translated, the brackets were always full-width."""
    from tests.factories import HouseholdFactory

    member = User.objects.get(memberships__team__zone=zone)
    household = HouseholdFactory(zone=zone)
    client.force_login(member)

    page = client.get(f"/households/{household.pk}/visits/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert expected.format(name=member.full_name) in page


@pytest.mark.django_db
def test_categories_speak_the_readers_language(client, zone):
    ticket = make_ticket(zone=zone, category="environment")
    client.force_login(User.objects.get(street=zone.committee.street, role="street_staff"))

    english = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "Environment and sanitation" in english and "环境与卫生" not in english
    assert "环境与卫生" in chinese
