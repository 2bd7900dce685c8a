"""The consultation screens through Django's client: scope (404 for what a person may not
see), bad input named by its field (400, never 500), the public notice without signing in."""

import datetime as dt

import pytest
from django.utils import timezone

from alerts.models import Notification
from consultation import services
from consultation.models import CovenantVersion, Hearing, LivelihoodProject, MaintenanceContract, Matter, Step
from responders.models import User
from tests.consultation.helpers import raise_matter, staff_of, through
from tests.factories import CommitteeFactory, UserFactory, make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def _today_matter(zone, **kwargs):
    """A matter raised today, so steps can be posted with today's date."""
    return raise_matter(zone.committee, now=timezone.now(), **kwargs)


def test_raise_a_matter_from_the_ticket_page(client):
    zone = staffed_zone()
    ticket = make_ticket(zone=zone)
    staff = staff_of(zone.committee)
    client.force_login(staff)
    page = client.get(f"/tickets/{ticket.pk}/")
    assert f"/consultation/new/?ticket={ticket.pk}" in page.content.decode()
    form = client.get(f"/consultation/new/?ticket={ticket.pk}")
    assert form.status_code == 200 and ticket.reference in form.content.decode()
    answer = client.post(
        "/consultation/new/",
        {
            "ticket": ticket.pk,
            "unit": f"committee:{zone.committee_id}",
            "title": "楼道堆物清理",
            "source": "ticket",
            "notice_days": 7,
        },
    )
    matter = Matter.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/consultation/{matter.pk}/"
    assert matter.ticket == ticket and matter.created_by == staff
    assert "楼道堆物清理" in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_another_committees_matter_and_ticket_are_not_found(client):
    zone = staffed_zone()
    matter = _today_matter(zone)
    ticket = make_ticket(zone=zone)
    stranger = UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory())
    client.force_login(stranger)
    assert client.get(f"/consultation/{matter.pk}/").status_code == 404
    assert client.post(f"/consultation/{matter.pk}/step/", {"outcome": "x"}).status_code == 404
    assert client.get(f"/consultation/new/?ticket={ticket.pk}").status_code == 404
    assert matter.title not in client.get("/consultation/").content.decode()
    # Their own committee is the only one offered; another sent anyway is refused by name.
    answer = client.post(
        "/consultation/new/",
        {"unit": f"committee:{zone.committee_id}", "title": "x", "source": "staff", "notice_days": 7},
    )
    assert answer.status_code == 400 and "unit" in answer.context["form"].errors


def test_a_zone_member_reads_nothing_and_a_liaison_may_not_raise(client):
    zone = staffed_zone()
    _today_matter(zone)
    member = User.objects.get(role=User.Role.ZONE_MEMBER)
    client.force_login(member)
    assert client.get("/consultation/new/").status_code == 404
    assert "小区环境改造" not in client.get("/consultation/").content.decode()


def test_bad_input_names_its_field(client):
    zone = staffed_zone()
    matter = _today_matter(zone)
    client.force_login(staff_of(zone.committee))
    answer = client.post(f"/consultation/{matter.pk}/step/", {"number": "1", "held_on": "yesterday", "outcome": ""})
    assert answer.status_code == 400
    assert set(answer.context["step_form"].errors) == {"held_on", "outcome"}
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            f"/consultation/{matter.pk}/step/", {"number": "1", "outcome": "提议改造", "held_on": today}
        ).status_code
        == 302
    )
    assert Matter.objects.get(pk=matter.pk).step == 1
    answer = client.post(
        f"/consultation/{matter.pk}/step/",
        {"number": "2", "outcome": "商议", "passed": "yes", "participants": "", "held_on": today},
    )
    assert answer.status_code == 400 and "participants" in answer.context["step_form"].errors
    # A second tab still showing step 1 posts it again: refused, the matter stays at step 1.
    again = client.post(
        f"/consultation/{matter.pk}/step/", {"number": "1", "outcome": "提议改造", "held_on": today}, follow=True
    )
    assert again.status_code == 200 and Matter.objects.get(pk=matter.pk).step == 1
    assert "已经记录过了" in again.content.decode()
    assert client.post(f"/consultation/{matter.pk}/progress/", {"progress": "abc"}).status_code == 400
    assert client.post(f"/consultation/{matter.pk}/milestone_done/", {"milestone": "²"}).status_code == 404
    assert client.post(f"/consultation/{matter.pk}/nonsense/").status_code == 404


def test_the_vote_without_quorum_is_shown_on_its_field(client):
    zone = staffed_zone()
    matter = through(_today_matter(zone), 0)
    staff = staff_of(zone.committee)
    now = timezone.now()
    for number in (1, 2, 3):
        services.step_record(
            matter=matter,
            actor=staff,
            number=number,
            outcome="ok",
            participants="王辉",
            passed=True,
            now=now,
            held_on=timezone.localdate(),
        )
    client.force_login(staff)
    answer = client.post(
        f"/consultation/{matter.pk}/step/",
        {
            "number": "4",
            "outcome": "表决",
            "participants": "代表",
            "representatives": "30",
            "present": "12",
            "votes_for": "12",
            "held_on": timezone.localdate().isoformat(),
        },
    )
    assert answer.status_code == 400 and "present" in answer.context["step_form"].errors
    assert Matter.objects.get(pk=matter.pk).step == 3


def test_the_public_notice_needs_no_sign_in_and_shows_no_names(client):
    zone = staffed_zone()
    matter = through(raise_matter(zone.committee), 4)
    assert client.get(f"/gongshi/{matter.pk}/").status_code == 404  # not published yet
    through(matter, 5)
    page = client.get(f"/gongshi/{matter.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and matter.title in body
    assert "王辉" not in body  # who took part: on the staff's page, not the public one
    assert "24" in body and "20" in body  # present and for
    assert matter.title in client.get("/gongshi/").content.decode()


def test_a_late_milestone_alert_links_to_its_matter_on_the_home_page(client):
    zone = staffed_zone()
    matter = through(raise_matter(zone.committee), 5)
    staff = staff_of(zone.committee)
    services.milestone_add(
        matter=matter, actor=staff, title="拆除违建", due_on=matter.notice_ends_on, now=timezone.now()
    )
    through(matter, 6)
    assert services.sweep_late_milestones() == 1
    client.force_login(staff)
    home = client.get("/").content.decode()
    assert f'href="/consultation/{matter.pk}/"' in home and "拆除违建" in home
    assert Notification.objects.filter(recipient=staff, link=f"/consultation/{matter.pk}/").count() == 1
    assert Matter.objects.get(pk=matter.pk).step == Step.IMPLEMENTED


def test_the_admin_shows_matters_projects_and_contracts(client, demo):
    client.force_login(User.objects.get(username="admin"))
    pages = [
        "/admin/consultation/matter/",
        "/admin/consultation/livelihoodproject/",
        "/admin/consultation/maintenancecontract/",
    ]
    pages += [f"/admin/consultation/matter/{m.pk}/change/" for m in Matter.objects.all()]
    pages += [f"/admin/consultation/livelihoodproject/{p.pk}/change/" for p in LivelihoodProject.objects.all()]
    pages += [f"/admin/consultation/maintenancecontract/{c.pk}/change/" for c in MaintenanceContract.objects.all()]
    pages += ["/admin/consultation/hearing/", "/admin/consultation/covenantversion/"]
    pages += [f"/admin/consultation/hearing/{h.pk}/change/" for h in Hearing.objects.all()]
    pages += [f"/admin/consultation/covenantversion/{v.pk}/change/" for v in CovenantVersion.objects.all()]
    # the demo: 3 matters, 3 projects, 1 contract, 1 hearing, 1 covenant version
    assert len(pages) == 5 + 3 + 3 + 1 + 1 + 1
    for page in pages:
        assert client.get(page).status_code == 200, page
    # Records end in a state, never deleted here.
    matter = Matter.objects.first()
    assert client.get(f"/admin/consultation/matter/{matter.pk}/delete/").status_code == 403


def test_a_merged_ticket_sends_its_matter_and_invitation_to_the_surviving_one(client):
    from consultation.models import Invitation
    from core.enums import CancelReason
    from escalation.transitions import ticket_cancel
    from tests.factories import department_for

    zone = staffed_zone()
    survivor, merged = make_ticket(zone=zone), make_ticket(zone=zone)
    staff = staff_of(zone.committee)
    ticket_cancel(ticket=merged, actor=staff, reason=CancelReason.DUPLICATE, duplicate_of=survivor)
    client.force_login(staff)

    page = client.get(f"/tickets/{merged.pk}/").content.decode()
    assert f"已合并至 {survivor.reference}：请从该工单发起协商议题或约请。" in page
    assert f"/consultation/new/?ticket={merged.pk}" not in page and f"/invitations/new/?ticket={merged.pk}" not in page
    assert f"/consultation/new/?ticket={survivor.pk}" in client.get(f"/tickets/{survivor.pk}/").content.decode()
    english = client.get(f"/tickets/{merged.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Merged into {survivor.reference}: raise a matter or an invitation from that ticket." in english

    # a link kept from before the merge is refused, naming the surviving ticket, and writes nothing
    body = {"ticket": merged.pk, "unit": f"committee:{zone.committee_id}", "title": "电梯", "source": "ticket"}
    refused = client.post("/consultation/new/", {**body, "notice_days": 7})
    assert refused.status_code == 400, refused.context["form"].errors
    assert f"该工单已合并至 {survivor.reference}：请从该工单发起。" in refused.content.decode()
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    invited = client.post(
        f"/invitations/new/?ticket={merged.pk}",
        {"department": department_for(merged).pk, "invitee_name": "所长", "proposed_at": when},
    )
    assert invited.status_code == 400 and survivor.reference in invited.content.decode()
    assert not Matter.objects.exists() and not Invitation.objects.exists()
