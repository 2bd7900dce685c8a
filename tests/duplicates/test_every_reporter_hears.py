"""Issue 20, item 2 with issue 17's channel: one problem reported by three residents (at the
door, by phone to the committee, through 12345 and merged) is one ticket, and every reporter
hears the outcome by SMS with a link of their own, and may give their verdict."""

import re

import pytest
from django.test import Client

from core.enums import CancelReason, Channel
from escalation.transitions import ticket_add_reporter, ticket_cancel, ticket_resolve
from grievances.models import Feedback
from residents.models import SmsOptOut
from tests.factories import HouseholdFactory, make_ticket, staffed_zone
from tests.intake.test_desk_and_visits import committee_staff

pytestmark = pytest.mark.django_db

DOOR, CALLER, HOTLINE, QUIET = "13811110001", "13811110002", "13811110003", "13811110004"


def links(messages, phone):
    return [re.search(r"http://testserver(/r/\d+/[\w-]+/)", m["text"]).group(1) for m in messages if m["to"] == phone]


def test_three_reporters_each_hear_the_outcome_and_may_give_a_verdict(sms_file, django_capture_on_commit_callbacks):
    zone = staffed_zone()
    staff = committee_staff(zone)
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        lift = make_ticket(zone=zone, description="3号楼电梯停了", reporter_phone=DOOR)
    with capture(execute=True):
        ticket_add_reporter(
            ticket=lift, actor=staff, channel=Channel.PHONE, phone=CALLER, household=HouseholdFactory(zone=zone)
        )
    with capture(execute=True):
        hotline = make_ticket(zone=zone, description="市民反映3号楼电梯停运", reporter_phone=HOTLINE)
    with capture(execute=True):
        ticket_cancel(ticket=hotline, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=lift)

    # Each heard once that it was received; the hotline's caller now under the lift's reference.
    received = sms_file()
    assert sorted(m["to"] for m in received) == sorted([DOOR, CALLER, HOTLINE, HOTLINE])
    assert [lift.reference in m["text"] for m in received if m["to"] == HOTLINE] == [False, True]

    lift.refresh_from_db()
    with capture(execute=True):
        ticket_resolve(ticket=lift, actor=lift.owner, outcome="solved")

    resolved = sms_file()[len(received) :]
    assert sorted(m["to"] for m in resolved) == sorted([DOOR, CALLER, HOTLINE])
    assert all("已办结" in m["text"] and lift.reference in m["text"] for m in resolved)
    # Each link is its reporter's own, and each opens the page of the one ticket.
    pages = {phone: links(resolved, phone)[0] for phone in (DOOR, CALLER, HOTLINE)}
    assert len(set(pages.values())) == 3
    resident = Client()
    for path in pages.values():
        assert lift.reference in resident.get(path).content.decode()
    answer = resident.post(pages[CALLER] + "verdict/", {"satisfaction": "satisfied", "comment": "修好了"})
    assert answer.status_code == 302
    assert Feedback.objects.get(ticket=lift).collected_via == Feedback.Via.RESIDENT

    # A joined reporter's "stop" stops only their own number.
    resident.post(pages[HOTLINE] + "stop/")
    assert list(SmsOptOut.objects.values_list("phone", flat=True)) == [HOTLINE]


def test_a_joined_reporter_who_opted_out_hears_nothing(sms_file, django_capture_on_commit_callbacks):
    zone = staffed_zone()
    SmsOptOut.objects.create(phone=QUIET, via=SmsOptOut.Via.REPLY)
    with django_capture_on_commit_callbacks(execute=True):
        lift = make_ticket(zone=zone, description="电梯坏了", reporter_phone=DOOR)
        ticket_add_reporter(ticket=lift, actor=committee_staff(zone), channel=Channel.PHONE, phone=QUIET)
    assert [m["to"] for m in sms_file()] == [DOOR]
