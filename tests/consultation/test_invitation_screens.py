"""Invitations through Django's client: from the ticket's page, answered by the department's
liaison from their list, refused to others (404), bad input named by its field."""

import datetime as dt

import pytest
from django.utils import timezone

from consultation.models import Invitation
from responders.models import User
from tests.consultation.helpers import staff_of
from tests.factories import CommitteeFactory, UserFactory, department_for, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def test_invite_from_the_ticket_and_the_liaison_answers(client):
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    department = department_for(ticket)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    client.force_login(staff_of(zone.committee))
    assert f"/invitations/new/?ticket={ticket.pk}" in client.get(f"/tickets/{ticket.pk}/").content.decode()
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/invitations/new/?ticket={ticket.pk}", {"invitee_name": "所长", "proposed_at": when})
    assert refused.status_code == 400 and "department" in refused.context["form"].errors
    past = client.post(
        f"/invitations/new/?ticket={ticket.pk}", {"department": department.pk, "proposed_at": "2020-01-01T10:00"}
    )
    assert past.status_code == 400 and "proposed_at" in past.context["form"].errors
    sent = client.post(
        f"/invitations/new/?ticket={ticket.pk}",
        {"department": department.pk, "invitee_name": "所长", "proposed_at": when},
    )
    invitation = Invitation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/invitations/{invitation.pk}/"

    client.force_login(liaison)
    assert ticket.reference in client.get("/invitations/").content.decode()
    assert f'href="/invitations/{invitation.pk}/"' in client.get("/").content.decode()  # the alert
    page = client.get(f"/invitations/{invitation.pk}/").content.decode()
    assert "发送答复" in page
    no_reason = client.post(f"/invitations/{invitation.pk}/answer/", {"accept": "no"})
    assert no_reason.status_code == 400 and "reason" in no_reason.context["answer_form"].errors
    assert client.post(f"/invitations/{invitation.pk}/answer/", {"accept": "yes"}).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.meeting.type.code == "invitation"
    again = client.post(f"/invitations/{invitation.pk}/answer/", {"accept": "no", "reason": "x"}, follow=True)
    assert "该约请已经答复过了" in again.content.decode()


def test_others_do_not_see_it(client):
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    client.force_login(staff_of(zone.committee))
    department = department_for(ticket)
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/invitations/new/?ticket={ticket.pk}", {"department": department.pk, "proposed_at": when})
    invitation = Invitation.objects.get()
    for outsider in (
        UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory()),
        UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department_for(make_ticket())),
    ):
        client.force_login(outsider)
        assert client.get(f"/invitations/{invitation.pk}/").status_code == 404
        assert client.post(f"/invitations/{invitation.pk}/answer/", {"accept": "yes"}).status_code == 404
        assert client.get(f"/invitations/new/?ticket={ticket.pk}").status_code == 404
    client.force_login(staff_of(zone.committee))
    assert client.get("/invitations/new/").status_code == 404
    assert client.get("/invitations/new/?ticket=abc").status_code == 404
