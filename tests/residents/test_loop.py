"""The whole loop with the file backend (issue 17): a partner files a ticket with a phone,
the resident's SMS arrives with a link, the page shows the status without signing in, staff
resolve it, the resolution SMS arrives, the resident answers dissatisfied with a reason and
the ticket is reopened — once."""

import re
import uuid

import pytest
from django.test import Client

from alerts.models import Notification
from core.enums import Status
from escalation import transitions
from grievances.models import Feedback, Ticket, TicketEvent
from responders.models import User
from tests.factories import staffed_zone

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
STAFF_NAMES = ["包干领导", "街道干部", "居委干部", "片区队员"]


def link_path(text):
    match = re.search(r"http://testserver(/r/\d+/[\w-]+/)", text)
    assert match, text
    return match.group(1)


def file_ticket(partner_client, zone, capture, phone=PHONE):
    client = partner_client(zone.committee.street)
    with capture(execute=True):
        response = client.post(
            "/api/v1/tickets/",
            {
                "category": "environment",
                "description": "小区门口垃圾三天没人清运",
                "zone": zone.pk,
                "reporter": {"name": "王先生", "phone": phone},
            },
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 201, response.content
    return Ticket.objects.get(pk=response.json()["id"])


def test_the_resident_follows_a_hotline_request_to_its_outcome_and_reopens_it_once(
    partner_client, sms_file, django_capture_on_commit_callbacks
):
    # given: the hotline files a request with the resident's phone
    zone = staffed_zone()
    ticket = file_ticket(partner_client, zone, django_capture_on_commit_callbacks)

    # then: the resident's SMS arrives, in Chinese, with the reference and a link
    [received] = sms_file()
    assert received["to"] == PHONE
    assert received["text"].startswith("【直通】") and ticket.reference in received["text"]
    assert "已受理" in received["text"] and "退订" in received["text"]
    path = link_path(received["text"])

    # and: the page shows where it is without signing in, and no staff name
    resident = Client()
    page = resident.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket.reference in html and "小区门口垃圾三天没人清运" in html and "已受理" in html
    assert zone.name in html
    assert not any(name in html for name in STAFF_NAMES) and PHONE not in html and "王先生" not in html
    assert page["Cache-Control"] == "private, no-store"

    # when: staff resolve it with a stated reason
    owner = ticket.owner
    with django_capture_on_commit_callbacks(execute=True):
        transitions.ticket_resolve(ticket=ticket, actor=owner, outcome="explained", reason="该处属物业管理范围")

    # then: the resolution SMS arrives with the reason and the same link
    resolved = sms_file()[-1]
    assert "已答复" in resolved["text"] and "该处属物业管理范围" in resolved["text"]
    assert link_path(resolved["text"]) == path
    assert not any(name in resolved["text"] for name in STAFF_NAMES + [owner.full_name])
    assert "该处属物业管理范围" in resident.get(path).content.decode()

    # when: the resident is not satisfied, and says why
    with django_capture_on_commit_callbacks(execute=True):
        answer = resident.post(f"{path}verdict/", {"satisfaction": "dissatisfied", "comment": "垃圾还在"})
    assert answer.status_code == 302 and answer["Location"].endswith("?done=reopened")

    # then: the ticket is reopened at the resident's word, owner and duty leader alerted
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    feedback = Feedback.objects.get(ticket=ticket)
    assert feedback.collected_via == Feedback.Via.RESIDENT and feedback.recorded_by is None
    reopened = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REOPENED)
    assert reopened.actor_label == "resident" and reopened.note == "垃圾还在"
    leader = zone.committee.duty_leader
    alerted = set(Notification.objects.filter(ticket=ticket, kind="reopened").values_list("recipient", flat=True))
    assert alerted == {owner.pk, leader.pk}
    assert "根据您的评价重新办理" in resident.get(path).content.decode()

    # when: it is resolved again and the resident is still not satisfied
    with django_capture_on_commit_callbacks(execute=True):
        transitions.ticket_resolve(ticket=ticket, actor=owner, outcome="solved")
    assert "已办结" in sms_file()[-1]["text"]
    second = resident.post(f"{path}verdict/", {"satisfaction": "dissatisfied", "comment": "还是不行"})
    assert second["Location"].endswith("?done=flagged")

    # then: recorded and flagged, not reopened again
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.REOPENED).count() == 1
    assert Feedback.objects.filter(ticket=ticket, collected_via=Feedback.Via.RESIDENT).count() == 2
    flagged = set(
        Notification.objects.filter(ticket=ticket, kind="dissatisfied_again").values_list("recipient", flat=True)
    )
    assert flagged == {owner.pk, leader.pk}
    # and a third verdict is refused: the one for this resolution is recorded
    assert resident.post(f"{path}verdict/", {"satisfaction": "satisfied"}).status_code == 409


def test_escalation_and_referral_tell_the_resident_in_plain_words(
    partner_client, sms_file, django_capture_on_commit_callbacks
):
    zone = staffed_zone()
    ticket = file_ticket(partner_client, zone, django_capture_on_commit_callbacks)
    member = ticket.owner
    with django_capture_on_commit_callbacks(execute=True):
        ticket = transitions.ticket_escalate(ticket=ticket, actor=member, reason="需要居委会协调")
    assert "已转交居委会办理" in sms_file()[-1]["text"]
    committee_staff = User.objects.get(committee=zone.committee)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = transitions.ticket_escalate(ticket=ticket, actor=committee_staff, reason="需要街道")
    assert "已转交街道办理" in sms_file()[-1]["text"]
    assert "需要街道" not in sms_file()[-1]["text"]  # the internal reason stays inside


def test_a_partner_that_informs_its_residents_itself_gets_no_sms_sent(
    partner_client, hotline, sms_file, django_capture_on_commit_callbacks
):
    hotline.informs_residents = True
    hotline.save()
    file_ticket(partner_client, staffed_zone(), django_capture_on_commit_callbacks)
    assert sms_file() == []


def test_a_landline_gets_no_sms(partner_client, sms_file, django_capture_on_commit_callbacks):
    file_ticket(partner_client, staffed_zone(), django_capture_on_commit_callbacks, phone="021-63451234")
    assert sms_file() == []


def test_staff_see_who_reopened_it_in_their_language(client):
    from tests.factories import make_ticket

    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved")
    from residents.services import resident_verdict

    resident_verdict(ticket=ticket, satisfaction="dissatisfied", comment="没有解决")
    client.force_login(ticket.owner)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "居民本人（诉求页面）" in html
