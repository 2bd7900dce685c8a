"""Nothing is lost through the admin either: records whose end is a state (a report issued,
a referral withdrawn, a meeting cancelled, a key revoked) cannot be deleted there, one by one
or in bulk. Each of these deletions went through before, taking what hung from them."""

import datetime as dt

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord, PartnerKey
from api.services import partner_key_create
from escalation import transitions
from escalation.models import Referral
from meetings.models import Evaluation, Meeting, MeetingType
from meetings.services import evaluation_record, meeting_record, meeting_schedule
from reports.models import MonthlyReport
from reports.services import monthly_report_generate
from responders.models import PartnerSystem
from tests.factories import department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    zone = staffed_zone()
    street, committee = zone.committee.street, zone.committee
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = monthly_report_generate(street=street, month=last_month)
    ticket = transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test")
    transitions.ticket_refer(ticket=ticket, actor="test", department=department_for(ticket))
    meeting = meeting_schedule(
        type=MeetingType.objects.get(code="evaluation"),
        unit=committee,
        starts_at=timezone.now() - dt.timedelta(hours=2),
        actor=None,
    )
    evaluation_record(
        meeting=meeting, actor="test", scores=dict.fromkeys(meeting.type.criteria, 4), opinion="意见", body_name="物业"
    )
    meeting_record(meeting=meeting, actor="test", minutes="纪要", attended=[])
    partner = PartnerSystem.objects.create(code="hotline12345", name="热线")
    key, _raw = partner_key_create(partner=partner, name="k", streets=[street], scopes=["tickets:read"])
    IdempotencyRecord.objects.create(key=key, idempotency_key="order-1", request_hash="x", status_code=201)
    return {
        "reports/monthlyreport": report,
        "escalation/referral": Referral.objects.get(),
        "meetings/meeting": meeting,
        "api/partnerkey": key,
    }


@pytest.mark.parametrize(
    "model", ["reports/monthlyreport", "escalation/referral", "meetings/meeting", "api/partnerkey"]
)
def test_the_admin_cannot_delete_what_ends_as_a_state(admin_client, records, model):
    obj = records[model]

    delete_page = admin_client.get(f"/admin/{model}/{obj.pk}/delete/")
    posted = admin_client.post(f"/admin/{model}/{obj.pk}/delete/", {"post": "yes"})
    bulk = admin_client.post(
        f"/admin/{model}/", {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    changelist = admin_client.get(f"/admin/{model}/").content.decode()

    assert delete_page.status_code == posted.status_code == 403
    assert bulk.status_code in (200, 302) and 'value="delete_selected"' not in changelist
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_what_hangs_from_them_is_still_there(admin_client, records):
    for model, obj in records.items():
        admin_client.post(f"/admin/{model}/{obj.pk}/delete/", {"post": "yes"})

    assert MonthlyReport.objects.count() == 1
    assert Evaluation.objects.filter(meeting__status=Meeting.Status.HELD).count() == 1
    assert IdempotencyRecord.objects.filter(key__in=PartnerKey.objects.all()).count() == 1
    assert records["escalation/referral"].ticket.status == "referred"


def test_an_issued_report_cannot_be_edited_in_the_admin(admin_client, records):
    report = records["reports/monthlyreport"]

    page = admin_client.get(f"/admin/reports/monthlyreport/{report.pk}/change/").content.decode()

    assert 'name="data"' not in page and 'type="submit" value="' not in page
