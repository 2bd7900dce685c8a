"""The action endpoints: each action takes its own body, judged by its own rules, and the
schema says what each needs (issue 13, item 5)."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from api.serializers import ACTION_SERIALIZERS, API_ACTIONS
from core.enums import CancelReason
from escalation import transitions
from escalation.models import Referral
from grievances.models import Ticket
from responders.models import User
from tests.factories import DepartmentFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

# What each action needs; everything else in its body is optional.
REQUIRED = {
    "acknowledge": set(),
    "start": set(),
    "refer": {"department"},
    "department_reply": {"answer"},
    "escalate": {"reason"},
    "resolve": {"outcome"},
    "close": {"note"},
    "reopen": {"reason"},
    "cancel": {"reason"},
    "department_update": {"note"},
    "return_referral": {"reason"},
    "pause": {"reason"},
    "resume": set(),
}


def act(client, ticket, action, body):
    return client.post(
        f"/api/v1/tickets/{ticket.pk}/actions/{action}/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def acknowledged(zone):
    return transitions.ticket_acknowledge(ticket=make_ticket(zone=zone), actor="test")


@pytest.fixture
def schema(client):
    return client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()


def body_schema(schema, action):
    operation = schema["paths"][f"/api/v1/tickets/{{id}}/actions/{action}/"]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return operation, schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]


def test_each_action_declares_exactly_the_fields_it_requires():
    assert list(ACTION_SERIALIZERS) == API_ACTIONS
    for action, serializer in ACTION_SERIALIZERS.items():
        fields = serializer().fields
        assert {name for name, field in fields.items() if field.required} == REQUIRED[action], action
        assert "expected_version" in fields and not fields["expected_version"].required


def test_the_schema_has_one_operation_per_action_with_its_own_body(schema):
    action_paths = [path for path in schema["paths"] if "/actions/" in path]

    assert action_paths == [f"/api/v1/tickets/{{id}}/actions/{action}/" for action in API_ACTIONS]
    operation_ids = [schema["paths"][path]["post"]["operationId"] for path in action_paths]
    assert len(set(operation_ids)) == len(operation_ids)
    for action in API_ACTIONS:
        operation, body = body_schema(schema, action)
        assert set(body.get("required", [])) == REQUIRED[action], action
        assert "expected_version" in body["properties"]
        # The ticket in the path, and the optional retry key (no {action} parameter left).
        assert sorted(p["name"] for p in operation["parameters"]) == ["Idempotency-Key", "id"]
        assert operation.get("requestBody", {}).get("required", False) == bool(REQUIRED[action])
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])


def test_the_schema_says_what_refer_resolve_and_cancel_take(schema):
    _, refer = body_schema(schema, "refer")
    _, resolve = body_schema(schema, "resolve")
    _, cancel = body_schema(schema, "cancel")
    _, escalate = body_schema(schema, "escalate")
    components = schema["components"]["schemas"]

    assert set(refer["properties"]) == {"department", "duty", "answer_by", "expected_version"}
    assert refer["properties"]["department"]["type"] == "integer"
    assert set(resolve["properties"]) == {"outcome", "reason", "expected_version"}
    assert set(cancel["properties"]) == {"reason", "note", "duplicate_of", "expected_version"}
    reason_enum = components[cancel["properties"]["reason"]["$ref"].rsplit("/", 1)[-1]]
    assert reason_enum["enum"] == list(CancelReason.values)
    assert escalate["properties"]["reason"]["minLength"] == 1  # required text is not blank


def test_a_body_is_judged_by_its_own_actions_rules_only(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = make_ticket(zone=zone)

    # Fields another action takes are not this one's business, as any unknown field.
    resolved = act(client, ticket, "resolve", {"outcome": "solved", "department": "x", "answer_by": "soon"})
    acknowledge = act(client, make_ticket(zone=zone), "acknowledge", {"outcome": "nonsense", "unheard_of": 1})

    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved"
    assert acknowledge.status_code == 200 and acknowledge.json()["status"] == "acknowledged"


@pytest.mark.parametrize(("action", "field"), [(a, f) for a, fields in REQUIRED.items() for f in fields])
def test_a_missing_required_field_is_a_400_naming_it(api_client, zone, action, field):
    ticket = make_ticket(zone=zone)

    response = act(api_client(zone.committee.street), ticket, action, {})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("required", [field])
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version


def test_wrong_types_are_400s_naming_each_field_at_fault(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = acknowledged(zone)

    several = act(client, ticket, "refer", {"department": 999999, "expected_version": "x"})
    number_for_text = act(client, ticket, "escalate", {"reason": 12})
    not_a_reason = act(client, ticket, "cancel", {"reason": "bored"})

    assert several.status_code == 400
    assert set(several.json()["error"]["fields"]) == {"department", "expected_version"}
    assert number_for_text.status_code == 400 and "reason" in number_for_text.json()["error"]["fields"]
    assert not_a_reason.status_code == 400 and "reason" in not_a_reason.json()["error"]["fields"]
    assert Ticket.objects.get(pk=ticket.pk).status == "acknowledged"


def test_refer_takes_a_department_id_its_duty_and_date(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = acknowledged(zone)
    department = department_for(ticket)
    answer_by = timezone.now() + dt.timedelta(days=3)

    unknown = act(client, ticket, "refer", {"department": 999999})
    inactive = act(client, ticket, "refer", {"department": department_for(ticket, active=False).pk})
    elsewhere = act(client, ticket, "refer", {"department": DepartmentFactory().pk})
    referred = act(
        client, ticket, "refer", {"department": department.pk, "duty": "清运垃圾", "answer_by": answer_by.isoformat()}
    )

    for refused in (unknown, inactive):
        assert refused.status_code == 400
        assert refused.json()["error"]["fields"] == {"department": ["没有此职能部门。"]}
    assert elsewhere.status_code == 400 and list(elsewhere.json()["error"]["fields"]) == ["department"]
    assert referred.status_code == 200 and referred.json()["status"] == "referred"
    referral = Referral.objects.get(ticket=ticket)
    assert (referral.department, referral.duty, referral.answer_by) == (department, "清运垃圾", answer_by)


def test_resolve_explained_needs_the_reason(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = make_ticket(zone=zone)

    without = act(client, ticket, "resolve", {"outcome": "explained", "reason": "  "})
    explained = act(client, ticket, "resolve", {"outcome": "explained", "reason": "不在本单位职责范围"})

    assert without.status_code == 400 and without.json()["error"]["code"] == "required"
    assert list(without.json()["error"]["fields"]) == ["reason"]
    assert explained.status_code == 200 and explained.json()["outcome_reason"] == "不在本单位职责范围"


def test_a_blank_required_text_gets_the_transitions_own_message(api_client, zone):
    response = act(api_client(zone.committee.street), make_ticket(zone=zone), "escalate", {"reason": " "})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "required"
    assert response.json()["error"]["fields"] == {"reason": ["请说明需要上级处理的原因。"]}


def test_cancel_as_duplicate_names_an_original_in_the_callers_streets(api_client, zone):
    client = api_client(zone.committee.street)
    ticket, original = make_ticket(zone=zone), make_ticket(zone=zone)
    theirs = make_ticket(zone=staffed_zone())

    unnamed = act(client, ticket, "cancel", {"reason": "duplicate"})
    elsewhere = act(client, ticket, "cancel", {"reason": "duplicate", "duplicate_of": theirs.reference})
    body = {"reason": "duplicate", "duplicate_of": original.reference, "note": "同一件事"}
    cancelled = act(client, ticket, "cancel", body)

    assert unnamed.status_code == 400 and list(unnamed.json()["error"]["fields"]) == ["duplicate_of"]
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error"]["fields"] == {"duplicate_of": ["您的街道中没有此工单。"]}
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ticket.refresh_from_db()
    assert ticket.duplicate_of == original and ticket.cancel_reason == "duplicate"


def test_a_stale_expected_version_is_a_409(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = make_ticket(zone=zone)

    stale = act(client, ticket, "escalate", {"reason": "上报", "expected_version": ticket.version + 1})
    fresh = act(client, ticket, "escalate", {"reason": "上报", "expected_version": ticket.version})

    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert fresh.status_code == 200 and fresh.json()["tier"] == "committee"


def test_staff_whose_role_does_not_allow_the_action_get_403_before_their_body_is_read(client, zone):
    ticket = acknowledged(zone)
    client.force_login(User.objects.get(memberships__team__zone=zone))  # a zone member: no referring

    response = act(client, ticket, "refer", {})

    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_a_liaison_records_their_departments_answer(client, zone):
    from tests.factories import UserFactory

    ticket = acknowledged(zone)
    department = department_for(ticket)
    ticket = transitions.ticket_refer(ticket=ticket, actor="test", department=department)
    client.force_login(UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department))

    response = act(client, ticket, "department_reply", {"answer": "已清运"})

    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert Referral.objects.get(ticket=ticket).answer == "已清运"


def test_a_liaison_reports_progress_and_sends_a_referral_back_through_the_api(client, zone):
    from alerts.models import Notification
    from tests.factories import UserFactory

    staff = User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)
    ticket = acknowledged(zone)
    department = department_for(ticket)
    ticket = transitions.ticket_refer(ticket=ticket, actor=staff, department=department)
    client.force_login(UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department))

    progress = act(client, ticket, "department_update", {"note": "正在调查"})
    missing = act(client, ticket, "return_referral", {})
    returned = act(client, ticket, "return_referral", {"reason": "不属本部门职责"})

    assert progress.status_code == 200 and progress.json()["status"] == "referred"
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert returned.status_code == 200 and returned.json()["status"] == "in_progress"
    referral = Referral.objects.get(ticket=ticket)
    assert (referral.progress, referral.return_reason) == ("正在调查", "不属本部门职责")
    assert Notification.objects.filter(recipient=staff, ticket=ticket, kind="referral_returned").exists()
