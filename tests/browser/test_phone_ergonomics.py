"""Every kind of page, at 360 px on a phone, in Chinese and in English, as the role that uses
it, after a simulated month on the demo street: nothing scrolls sideways and every tap
target is at least 44 × 44 px.

What counts as a tap target: every visible `a`, `button`, `select`, `summary` and
`input[type=checkbox|radio|submit|file]`. A checkbox or radio button is tapped through its label
(the browser ticks it when the label is tapped): its target is the label that wraps it or
names it with `for`, when it has one, else the box itself. An element with no box (hidden,
in a closed `<details>`, `display:none` on this screen) is no target.
"""

import datetime as dt

import pytest
from django.core.management import call_command

from demo.duplicates import LIFT_AT_DOOR
from demo.duplicates import play as play_duplicates
from demo.month import simulate_month
from tests.browser.conftest import DESK, PHONE

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MINIMUM = 44
WIDTH = PHONE["viewport"]["width"]

MEASURE = """([minimum, viewport]) => {
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "")
      .trim().replace(/\\s+/g, " ");
    return `${el.tagName.toLowerCase()}${el.type && el.tagName === "INPUT" ? "[" + el.type + "]" : ""}`
      + `${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""}`
      + ` "${text.slice(0, 30)}"`;
  };
  const small = [];
  const targets = "a[href], button, select, summary, "
    + "input[type=checkbox], input[type=radio], input[type=submit], input[type=file]";
  for (const el of document.querySelectorAll(targets)) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    let target = el;
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      target = el.closest("label") || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el;
    }
    const box = target.getBoundingClientRect();
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push(`${describe(el)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  const width = document.documentElement.scrollWidth;
  const wide = [];
  if (width > viewport) {
    // (a phone widens its layout to the content: compare with the device's width, not innerWidth)
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.right > viewport + 0.5 && getComputedStyle(el).position !== "fixed") {
        // the outermost only: its children overflow with it
        if (!el.parentElement || el.parentElement.getBoundingClientRect().right <= viewport + 0.5) {
          wide.push(`${describe(el)} right edge ${Math.round(box.right)}`);
        }
      }
    }
  }
  return {width, small: [...new Set(small)], wide: wide.slice(0, 8)};
}"""


def pages_to_walk():
    """(role, kind, path) for every kind of page, ids taken from what the role may see."""
    from affairs.models import AffairsEntry
    from catalogue.models import ServiceItem
    from core.enums import OPEN_STATUSES
    from escalation.models import TransferRecord
    from grievances.models import Ticket
    from grievances.selectors import visible_households, visible_tickets
    from meetings.selectors import visible_meetings
    from reports.models import MonthlyReport
    from responders.models import User
    from responders.selectors import user_scope

    def scope(username):
        return user_scope(User.objects.get(username=username))

    def open_ticket(username, **kwargs):
        tickets = visible_tickets(scope(username)).filter(status__in=OPEN_STATUSES, **kwargs)
        return tickets.order_by("-pk").first() or visible_tickets(scope(username)).order_by("-pk").first()

    member_ticket = open_ticket("zone_member")
    household = visible_households(scope("zone_member")).order_by("pk").first()
    zone_meeting = visible_meetings(scope("zone_member")).filter(zone__isnull=False).order_by("-starts_at").first()
    transfer = TransferRecord.objects.order_by("-pk").first()
    street_meeting = (
        visible_meetings(scope("street_staff"))
        .filter(committee__isnull=True, zone__isnull=True)
        .order_by("-starts_at")
        .first()
    )
    committee_meeting = (
        visible_meetings(scope("committee_staff"))
        .filter(committee__isnull=False, zone__isnull=True)
        .order_by("-starts_at")
        .first()
    )
    report = MonthlyReport.objects.order_by("-month").first()
    liaison_ticket = visible_tickets(scope("dept_liaison")).order_by("-pk").first()
    assert member_ticket and household and zone_meeting and transfer and street_meeting and report
    service_item = ServiceItem.objects.get(code="elderly_allowance")
    application = Ticket.objects.filter(kind="service").order_by("pk").first()
    pages = [
        (None, "login", "/accounts/login/"),
        ("zone_member", "home", "/"),
        ("zone_member", "households", "/zone/"),
        ("zone_member", "household", f"/households/{household.pk}/"),
        ("zone_member", "visit-form", f"/households/{household.pk}/visits/new/"),
        ("zone_member", "my-tickets", "/tickets/mine/"),
        ("zone_member", "ticket", f"/tickets/{member_ticket.pk}/"),
        ("zone_member", "queue", "/queue/"),
        ("zone_member", "meetings", "/meetings/"),
        ("zone_member", "meeting", f"/meetings/{zone_meeting.pk}/"),
        ("zone_member", "not-found", f"/tickets/{Ticket.objects.order_by('-pk').first().pk + 1000}/"),
        ("committee_staff", "home", "/"),
        ("committee_staff", "queue", "/queue/"),
        ("committee_staff", "desk intake", "/desk/"),
        ("committee_staff", "service window", f"/desk/service/?item={service_item.pk}&household={household.pk}"),
        ("street_staff", "service application", f"/tickets/{application.pk}/"),
        ("street_staff", "service report", f"/reports/services/?month={report.month:%Y-%m}"),
        ("street_staff", "home", "/"),
        ("street_staff", "queue", "/queue/?status=all"),
        ("street_staff", "ticket", f"/tickets/{transfer.ticket_id}/"),
        ("street_staff", "transfer-form", f"/tickets/{transfer.ticket_id}/transfer-form/"),
        ("street_staff", "meetings", "/meetings/"),
        ("street_staff", "meeting", f"/meetings/{street_meeting.pk}/"),
        ("street_staff", "minutes", f"/meetings/{street_meeting.pk}/minutes/"),
        ("street_staff", "plan-meeting", "/meetings/new/"),
        ("street_staff", "dashboard", "/dashboard/"),
        ("street_staff", "reports", "/reports/"),
        ("street_staff", "report", f"/reports/{report.pk}/"),
        ("street_staff", "recurring-problems", "/recurring/"),
        ("committee_staff", "ticket-with-reporters", f"/tickets/{Ticket.objects.get(description=LIFT_AT_DOOR).pk}/"),
        ("dept_liaison", "home", "/"),
        ("dept_liaison", "my-tickets", "/tickets/mine/"),
    ]
    from consultation.models import Invitation, LivelihoodProject, Matter, Step

    matter = Matter.objects.filter(step=Step.IMPLEMENTED).order_by("pk").first()
    published = Matter.objects.filter(step=Step.RESULT_PUBLISHED).order_by("pk").first()
    completed = LivelihoodProject.objects.filter(status=LivelihoodProject.Status.COMPLETED).first()
    selected = LivelihoodProject.objects.filter(status=LivelihoodProject.Status.SELECTED).first()
    invitation = Invitation.objects.order_by("pk").first()
    assert matter and published and completed and selected and invitation
    pages += [
        ("committee_staff", "consultation", "/consultation/"),
        ("committee_staff", "raise-matter", "/consultation/new/"),
        ("committee_staff", "matter", f"/consultation/{matter.pk}/"),
        (None, "public-notices", "/gongshi/"),
        (None, "public-notice", f"/gongshi/{published.pk}/"),
        ("committee_staff", "livelihood", "/livelihood/"),
        ("committee_staff", "propose-project", "/livelihood/new/"),
        ("committee_staff", "project", f"/livelihood/{completed.pk}/"),
        ("street_staff", "project-selected", f"/livelihood/{selected.pk}/"),
        ("committee_staff", "contract", f"/livelihood/{completed.pk}/contract/print/"),
        ("committee_staff", "invitations", "/invitations/"),
        ("dept_liaison", "invitation", f"/invitations/{invitation.pk}/"),
        ("committee_staff", "covenants", "/covenants/"),
        ("committee_staff", "two-lists", "/lists/"),
        ("street_staff", "two-lists", "/lists/"),
        ("street_staff", "two-lists-entry", f"/lists/{AffairsEntry.objects.order_by('pk').first().pk}/edit/"),
        ("committee_staff", "covenant", f"/covenants/{invitation.committee_id}/"),
        (None, "public-covenant", f"/gongshi/covenant/{invitation.committee_id}/"),
    ]
    if committee_meeting:
        pages.append(("committee_staff", "meeting", f"/meetings/{committee_meeting.pk}/"))
    if liaison_ticket:
        pages.append(("dept_liaison", "ticket", f"/tickets/{liaison_ticket.pk}/"))
    return pages


def test_every_page_fits_a_phone_and_its_tap_targets_a_finger(open_page, sign_in, live_server, screenshot):
    call_command("seed_demo", "--no-progress")
    simulate_month(month=dt.date(2026, 10, 1), tickets=60, seed=5)
    play_duplicates()  # a ticket with three reporters, a recurring problem on a meeting
    pages = pages_to_walk()

    phones = {}
    for role in {role for role, _, _ in pages}:
        phones[role] = sign_in(role, PHONE) if role else open_page(PHONE)

    problems = []
    for language in ("zh-hans", "en"):
        for role, kind, path in pages:
            phone = phones[role]
            phone.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            response = phone.goto(f"{live_server.url}{path}")
            assert response.status == (404 if kind == "not-found" else 200), (role, path, response.status)
            found = phone.evaluate(MEASURE, [MINIMUM, WIDTH])
            screenshot(phone, f"phone-{language}-{role or 'anonymous'}-{kind}")
            where = f"{language} {role or 'anonymous'} {kind} {path}"
            if found["width"] > WIDTH:
                problems.append(f"{where}: {found['width']} px wide: {'; '.join(found['wide'])}")
            if found["small"]:
                problems.append(f"{where}: tap targets under {MINIMUM} px: {'; '.join(found['small'])}")

    assert not problems, "\n".join(problems)


def test_the_desk_keeps_its_layout(sign_in, screenshot):
    """The larger targets leave the desk's pages as they were: one line of navigation, a
    ticket page and a report that fit without scrolling sideways (and look right in the
    screenshots)."""
    from grievances.models import Ticket
    from reports.models import MonthlyReport

    call_command("seed_demo", "--no-progress")
    simulate_month(month=dt.date(2026, 10, 1), tickets=20, seed=7)
    desk = sign_in("street_staff", DESK)
    base = desk.url.rstrip("/")
    nav = desk.locator("header.topbar").bounding_box()
    assert nav["height"] < 90, nav
    for name, path in [
        ("ticket", f"/tickets/{Ticket.objects.order_by('-pk').first().pk}/"),
        ("report", f"/reports/{MonthlyReport.objects.get().pk}/"),
    ]:
        desk.goto(base + path)
        assert desk.evaluate("document.documentElement.scrollWidth") <= DESK["viewport"]["width"]
        screenshot(desk, f"desk-{name}-with-finger-sized-targets")
