"""A Content-Security-Policy on every page (django-csp): our own scripts, styles and images
only, no inline script or style, no eval; and the pages themselves carry no inline code the
policy would refuse (a browser would only say so in its console)."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from grievances.models import Household
from meetings.models import Meeting
from reports.services import monthly_report_generate
from responders.models import StreetOffice, User
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


class InlineCode(HTMLParser):
    """What the policy refuses in a page: inline scripts and styles, event-handler attributes,
    style attributes, javascript: links, and htmx attributes that evaluate code."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
            if name in ("hx-vals", "hx-vars") and value and value.strip().startswith("js:"):
                self.found.append(f"<{tag} {name}=js:...>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def pages(demo, client):
    street = StreetOffice.objects.get(code="WLQ")
    household = Household.objects.filter(zone__code="WLQ-SC-01").order_by("pk").first()
    ticket = make_ticket(household=household, zone=household.zone)
    meeting = Meeting.objects.filter(zone=household.zone).order_by("pk").first()
    report = monthly_report_generate(street=street, month=dt.date(2026, 10, 1))
    return {
        "sign-in": "/accounts/login/",
        "home": "/",
        "households": "/zone/",
        "household": f"/households/{household.pk}/",
        "visit form": f"/households/{household.pk}/visits/new/",
        "desk": f"/desk/?q=1&household={household.pk}",
        "queue": "/queue/",
        "map": "/map/",
        "my tickets": "/tickets/mine/",
        "ticket": f"/tickets/{ticket.pk}/",
        "meetings": "/meetings/",
        "meeting": f"/meetings/{meeting.pk}/",
        "minutes (printable)": f"/meetings/{meeting.pk}/minutes/",
        "figures": "/dashboard/",
        "reports": "/reports/",
        "report": f"/reports/{report.pk}/",
        "admin": "/admin/",
        "admin list": "/admin/responders/responsibilityzone/",
        "admin form": f"/admin/grievances/household/{household.pk}/change/",
        "admin sign-in attempts": "/admin/axes/accessattempt/",
        "API docs": "/api/v1/docs/",
        "not found": "/tickets/999999999/",
    }


def test_every_page_sends_the_policy_and_carries_no_inline_code(client, pages):
    signed_out = client.get(pages["sign-in"])
    assert signed_out.status_code == 200
    client.force_login(User.objects.get(username="admin"))

    for name, path in pages.items():
        response = signed_out if name == "sign-in" else client.get(path)
        assert response.status_code == (404 if name == "not found" else 200), name
        assert policy(response) == EXPECTED, name
        assert inline_code(response.content.decode()) == [], name


def test_no_page_allows_inline_script_or_eval(client, pages):
    client.force_login(User.objects.get(username="admin"))
    for name, path in pages.items():
        header = client.get(path)["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header, name


def test_the_api_docs_script_is_a_file_of_its_own(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert '<script src="/api/v1/docs/?script="></script>' in page
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_the_lockout_page_and_the_api_carry_the_policy_too(client):
    call_command("seed_demo", "--no-progress")
    for n in range(5):
        locked = client.post("/accounts/login/", {"username": "street_staff", "password": f"guess-{n}"})
    assert locked.status_code == 429
    assert policy(locked) == EXPECTED
    assert inline_code(locked.content.decode()) == []
    assert policy(client.get("/api/v1/categories/")) == EXPECTED
