"""Personal data through the API and in the logs (issue 14 item 12): reads of reporters'
phones logged once per request, a liaison's session masked, the Open311 key kept out of the
logs, and a refusal that does not name another street's department."""

import io
import logging
import uuid

import pytest
from django.utils import translation

from core.errors import InvalidInput
from escalation import transitions as t
from grievances.models import PersonalDataAccess
from responders.models import User
from tests.factories import DepartmentFactory, StreetFactory, UserFactory, department_for, make_ticket

pytestmark = pytest.mark.django_db

PHONE, MASKED = "13812345678", "138****5678"


def reported(zone, **kwargs):
    return make_ticket(zone=zone, reporter_name="王先生", reporter_phone=PHONE, **kwargs)


def test_a_page_read_with_pii_read_is_logged_once_naming_the_key(api_client, zone, hotline):
    tickets = [reported(zone) for _ in range(3)]
    silent = make_ticket(zone=zone)  # no phone: nothing of it shown
    client = api_client(zone.committee.street, scopes=("tickets:read", "pii:read"))

    page = client.get("/api/v1/tickets/").json()["results"]
    detail = client.get(f"/api/v1/tickets/{tickets[0].pk}/").json()

    assert {row["reporter"]["phone"] for row in page} == {PHONE, ""} and detail["reporter"]["phone"] == PHONE
    assert detail["reporter"]["name"] == "王先生"
    listed, one = PersonalDataAccess.objects.order_by("pk")
    assert (listed.how, listed.subject, listed.partner, listed.user) == ("api", "ticket", hotline, None)
    assert sorted(listed.object_ids) == sorted(ticket.pk for ticket in tickets) and silent.pk not in listed.object_ids
    assert listed.actor_label.startswith("partner:hotline12345 zt_") and listed.path == "/api/v1/tickets/"
    assert listed.fields == ["reporter_name", "reporter_phone"]
    assert (one.object_ids, one.path) == ([tickets[0].pk], f"/api/v1/tickets/{tickets[0].pk}/")


def test_create_and_actions_with_pii_read_are_logged(api_client, zone):
    client = api_client(zone.committee.street, scopes=("tickets:read", "tickets:write", "pii:read"))
    body = {"category": "environment", "description": "垃圾没人清运", "zone": zone.pk, "reporter": {"phone": PHONE}}

    created = client.post(
        "/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    ).json()
    client.post(
        f"/api/v1/tickets/{created['id']}/actions/acknowledge/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )

    assert list(PersonalDataAccess.objects.order_by("pk").values_list("object_ids", "path")) == [
        ([created["id"]], "/api/v1/tickets/"),
        ([created["id"]], f"/api/v1/tickets/{created['id']}/actions/acknowledge/"),
    ]


def test_without_pii_read_phones_are_masked_and_nothing_is_logged(api_client, zone):
    ticket = reported(zone)
    client = api_client(zone.committee.street)

    assert client.get(f"/api/v1/tickets/{ticket.pk}/").json()["reporter"]["phone"] == MASKED
    assert client.get("/api/v1/tickets/").json()["results"][0]["reporter"]["phone"] == MASKED
    assert not PersonalDataAccess.objects.exists()


def test_staff_sessions_follow_the_policy(client, zone):
    ticket = reported(zone)
    department = department_for(ticket)
    t.ticket_refer(ticket=t.ticket_start(ticket=ticket, actor="test"), actor="test", department=department)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    staff = User.objects.get(street=zone.committee.street, role=User.Role.STREET_STAFF)

    client.force_login(liaison)
    as_liaison = client.get(f"/api/v1/tickets/{ticket.pk}/").json()["reporter"]["phone"]
    client.force_login(staff)
    as_staff = client.get(f"/api/v1/tickets/{ticket.pk}/").json()["reporter"]["phone"]

    assert (as_liaison, as_staff) == (MASKED, PHONE)
    assert list(PersonalDataAccess.objects.values_list("user", "object_ids")) == [(staff.pk, [ticket.pk])]


# --- the Open311 key in the logs ------------------------------------------------------------------


@pytest.fixture
def captured():
    """What the configured handlers of django.server and django.request would print."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    loggers = [logging.getLogger("django.server"), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def test_the_open311_key_is_redacted_from_logged_urls(captured):
    secret = "zt_1a2b3c4d.s3cr3t-value"
    # runserver's request line, and a request error naming the full URL
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /open311/v2/requests.json?api_key={secret}&status=open HTTP/1.1", "200", "512"
    )
    logging.getLogger("django.request").error("Bad request: %s", f"/open311/v2/requests.xml?API_KEY={secret}")

    logged = captured.getvalue()
    assert secret not in logged
    assert "api_key=[redacted]&status=open" in logged and "API_KEY=[redacted]" in logged


def test_a_request_through_the_stack_logs_no_key(client, captured):
    client.get("/open311/v2/requests/nothing-here.json", {"api_key": "zt_00000000.secret-in-query"})
    logging.getLogger("django.request").warning("Not Found: %s", "/x?api_key=zt_00000000.secret-in-query")

    assert "secret-in-query" not in captured.getvalue()


def test_the_console_handler_redacts_every_logger():
    from config.logfilters import RedactSecrets

    console = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)]
    assert console, "the root handler has the redaction filter"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "GET %s", ("/a?b=1&api%5Fkey=abc",), None)
    assert console[0].filters[0].filter(record) and record.getMessage() == "GET /a?b=1&api%5Fkey=[redacted]"


# --- department enumeration -----------------------------------------------------------------------


def test_a_department_of_another_street_is_not_named(api_client, zone):
    ticket = t.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test")
    theirs = DepartmentFactory(street=StreetFactory(), name="别处街道派出所")
    district_wide_elsewhere = DepartmentFactory(name="别的区城管")

    for department in (theirs, district_wide_elsewhere):
        with translation.override("en"), pytest.raises(InvalidInput) as refused:
            t.ticket_refer(ticket=ticket, actor="test", department=department)
        assert refused.value.message == "This department does not serve this street."
        answer = api_client(zone.committee.street).post(
            f"/api/v1/tickets/{ticket.pk}/actions/refer/",
            {"department": department.pk},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["fields"] == {"department": ["该职能部门不负责本街道。"]}
        assert department.name not in answer.content.decode()


# --- erasure reaches what is kept for partners ----------------------------------------------------


def test_an_erasure_scrubs_webhook_payloads_and_replayable_responses(api_client, hotline, zone):
    from api.models import WebhookDelivery
    from api.services import partner_key_create
    from api.webhooks import webhook_subscribe, webhooks_fan_out
    from grievances import privacy
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(zone=zone, contact_name="王先生", phone=PHONE)
    key, _raw = partner_key_create(
        partner=hotline, name="hooks", streets=[zone.committee.street], scopes=["tickets:read", "pii:read"]
    )
    webhook_subscribe(key=key, url="http://127.0.0.1:9/hooks")
    client = api_client(zone.committee.street, scopes=("tickets:read", "tickets:write", "pii:read"))
    body = {"category": "environment", "description": "垃圾没人清运", "household": household.pk}
    body["reporter"] = {"name": "王先生", "phone": PHONE}
    first = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-7")
    webhooks_fan_out()
    assert WebhookDelivery.objects.get().payload["data"]["ticket"]["reporter"]["phone"] == PHONE

    privacy.erase_household(household, reason="本人申请", actor_label="test")

    erased = {"name": privacy.ANONYMISED, "phone": ""}
    assert WebhookDelivery.objects.get().payload["data"]["ticket"]["reporter"] == erased
    replay = client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == first.json()["id"]
    assert replay.json()["reporter"] == erased


def test_without_pii_read_a_reporters_name_and_phone_are_masked_and_nothing_is_logged(api_client, zone):
    ticket = reported(zone)
    named_only = make_ticket(zone=zone, reporter_name="李四")
    client = api_client(zone.committee.street, scopes=("tickets:read",))

    detail = client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    page = {row["id"]: row for row in client.get("/api/v1/tickets/").json()["results"]}

    assert detail["reporter"] == {"name": "王**", "phone": MASKED}
    assert page[named_only.pk]["reporter"] == {"name": "李*", "phone": ""}
    assert not PersonalDataAccess.objects.exists()
    # With pii:read, a name shown in full is logged even without a phone.
    api_client(zone.committee.street, scopes=("tickets:read", "pii:read")).get(f"/api/v1/tickets/{named_only.pk}/")
    assert PersonalDataAccess.objects.get().object_ids == [named_only.pk]
