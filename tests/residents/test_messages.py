"""When residents hear from us: quiet hours, opt-out, the verdict reminder, a matter settled
at the door, the staff alert channel."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from alerts.services import alerts_create
from alerts.sms import SmsChannel
from core.clock import SHANGHAI
from escalation import transitions
from residents import tokens
from residents.models import ResidentMessage, SmsOptOut
from residents.services import messages_send, messages_send_due, no_resident_messages, quiet_until, reminders_create
from tests.factories import HouseholdFactory, UserFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def at(hour, minute=0, day=2):
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_quiet_hours_cross_midnight(settings):
    settings.ZHITONG_SMS_QUIET_HOURS = "21:00-08:00"
    assert quiet_until(at(20, 59)) is None
    assert quiet_until(at(21, 0)) == at(8, 0, day=3)
    assert quiet_until(at(2, 30)) == at(8, 0)
    assert quiet_until(at(8, 0)) is None
    settings.ZHITONG_SMS_QUIET_HOURS = ""
    assert quiet_until(at(23, 0)) is None


def test_a_message_written_in_quiet_hours_waits_until_they_end(settings, sms_file, django_capture_on_commit_callbacks):
    settings.ZHITONG_SMS_QUIET_HOURS = "21:00-08:00"
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生", now=at(22, 15))
    message = ResidentMessage.objects.get(ticket=ticket)
    assert message.send_after == at(8, 0, day=3)
    assert sms_file() == []  # nothing at night
    assert messages_send_due(now=at(7, 59, day=3)) == 0 and sms_file() == []
    assert messages_send_due(now=at(8, 1, day=3)) == 1
    [sent] = sms_file()
    assert sent["to"] == PHONE and ticket.reference in sent["text"]
    assert messages_send_due(now=at(8, 2, day=3)) == 0 and len(sms_file()) == 1


def test_a_message_due_by_day_is_held_if_it_is_sent_at_night(settings, sms_file):
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生", now=at(20, 59))
    settings.ZHITONG_SMS_QUIET_HOURS = "21:00-08:00"
    message = ResidentMessage.objects.get(ticket=ticket)
    assert messages_send([message.pk], now=at(21, 5)) == 0
    message.refresh_from_db()
    assert message.send_after == at(8, 0, day=3) and sms_file() == []


def test_a_reply_td_opts_the_phone_out(settings, sms_file, django_capture_on_commit_callbacks):
    settings.ZHITONG_SMS_INBOUND_TOKEN = "inbound-secret"
    client = Client()
    body = {"mobile": PHONE, "nationcode": "86", "text": " td ", "time": 1700000000}
    assert client.post("/residents/sms/inbound/", body, content_type="application/json").status_code == 404
    answer = client.post(
        "/residents/sms/inbound/", body, content_type="application/json", HTTP_X_ZHITONG_TOKEN="inbound-secret"
    )
    assert answer.status_code == 200 and answer.json()["stopped"] == 1
    assert SmsOptOut.objects.get(phone=PHONE).via == "reply"
    # a reply that is not a stop word changes nothing; bad bodies are 400, not 500
    other = [{"phone_number": "13900001111", "content": "谢谢"}]
    assert (
        client.post("/residents/sms/inbound/?token=inbound-secret", other, content_type="application/json").json()[
            "stopped"
        ]
        == 0
    )
    assert (
        client.post("/residents/sms/inbound/?token=inbound-secret", "{", content_type="application/json").status_code
        == 400
    )
    assert (
        client.post("/residents/sms/inbound/?token=inbound-secret", [1], content_type="application/json").status_code
        == 400
    )
    # then: nothing more is written or sent to that phone
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    assert sms_file() == [] and not ResidentMessage.objects.filter(phone=PHONE).exists()


def test_the_button_on_the_page_opts_out_and_stops_waiting_messages(settings, sms_file):
    settings.ZHITONG_SMS_QUIET_HOURS = "21:00-08:00"
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生", now=at(22, 0))
    path = tokens.page_path(ticket, PHONE)
    response = Client().post(f"{path}stop/")
    assert response.status_code == 302 and response["Location"].endswith("?done=stopped")
    assert SmsOptOut.objects.get(phone=PHONE).via == "link"
    assert "不再接收短信" not in Client().get(path).content.decode()
    # the message held by the night is not sent in the morning
    assert messages_send_due(now=at(8, 30, day=3)) == 0 and sms_file() == []
    assert ResidentMessage.objects.get(ticket=ticket).error == "opted out"


def test_the_verdict_reminder_goes_once_halfway_through_the_window(sms_file):
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生", now=at(9, 0))
    ResidentMessage.objects.all().delete()
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved", now=at(10, 0))
    ResidentMessage.objects.all().delete()
    halfway = ticket.resolved_at + (ticket.feedback_due_by - ticket.resolved_at) / 2
    assert reminders_create(now=halfway - dt.timedelta(minutes=1)) == 0
    assert reminders_create(now=halfway) == 1
    assert reminders_create(now=halfway + dt.timedelta(hours=1)) == 0
    messages_send_due(now=halfway + dt.timedelta(hours=2))
    [reminder] = sms_file()
    assert "请于" in reminder["text"] and "前评价" in reminder["text"]
    assert reminders_create(now=halfway + dt.timedelta(days=1)) == 0
    assert ResidentMessage.objects.filter(kind="reminder").count() == 1


def test_no_reminder_once_the_resident_has_answered():
    ticket = make_ticket(reporter_phone=PHONE, reporter_name="王先生", now=at(9, 0))
    ticket = transitions.ticket_resolve(ticket=ticket, actor=ticket.owner, outcome="solved", now=at(10, 0))
    transitions.ticket_record_feedback(
        ticket=ticket, actor=ticket.owner, satisfaction="satisfied", collected_via="phone", now=at(11, 0)
    )
    assert reminders_create(now=ticket.feedback_due_by - dt.timedelta(minutes=1)) == 0


def test_a_matter_settled_at_the_door_sends_nothing(sms_file, django_capture_on_commit_callbacks):
    from intake.services import RaisedMatter, visit_log

    household = HouseholdFactory(phone=PHONE)
    member = UserFactory(role="zone_member", full_name="队员")
    from tests.factories import MembershipFactory, TeamFactory

    visitor = MembershipFactory(team=TeamFactory(zone=household.zone), user=member, name="队员")
    from grievances.models import Category

    with django_capture_on_commit_callbacks(execute=True):
        visit_log(
            actor=member,
            household=household,
            visited_on=timezone.localdate(),
            method="door",
            visitors=[visitor],
            matters=[
                RaisedMatter(
                    category=Category.objects.get(code="environment"),
                    description="灯坏了",
                    settled=True,
                    satisfaction="satisfied",
                )
            ],
        )
    assert sms_file() == []


def test_a_simulated_month_writes_no_resident_sms():
    with no_resident_messages():
        make_ticket(reporter_phone=PHONE, reporter_name="王先生")
    assert not ResidentMessage.objects.exists()


def test_the_staff_alert_channel_sends_to_the_recipients_own_phone(settings, sms_file):
    settings.ZHITONG_ALERT_CHANNELS = ["alerts.sms.SmsChannel"]
    ticket = make_ticket()
    with_phone = UserFactory(phone="13700001111")
    without = UserFactory(phone="")
    notifications = alerts_create([(with_phone.pk, "assigned", ticket.pk), (without.pk, "assigned", ticket.pk)])
    SmsChannel().send(notifications)
    [sent] = sms_file()
    assert sent["to"] == "13700001111" and ticket.reference in sent["text"]


def test_an_erasure_forgets_the_number_in_the_sms_outbox(settings):
    from grievances.privacy import erase_household

    settings.ZHITONG_SMS_QUIET_HOURS = "21:00-08:00"
    household = HouseholdFactory(zone=staffed_zone(), phone=PHONE)
    ticket = make_ticket(zone=household.zone, household=household, reporter_phone=PHONE, now=at(22, 0))
    message = ResidentMessage.objects.get(ticket=ticket)
    assert message.phone == PHONE and message.sent_at is None
    erase_household(household, reason="居民要求删除")
    message.refresh_from_db()
    assert message.phone == "" and message.failed_at is not None and message.error == "erased"
    ticket.refresh_from_db()
    assert Client().get(f"/r/{ticket.pk}/{tokens.page_key(ticket.pk, PHONE)}/").status_code == 404
