"""Sign-in resists guessing (django-axes, config/lockout.py): an account is locked after 5
wrong passwords from anywhere, an address after 30 for any accounts, each for 30 minutes after
the last try; the refusal is a 429 page in the reader's language; an administrator unlocks.
Everything goes through the real sign-in forms, CSRF token and all."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from config.lockout import client_address
from responders.models import User
from tests.factories import StreetFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
HERE, ELSEWHERE = "203.0.113.5", "198.51.100.7"
WRONG = "用户名和密码不匹配"
LOCKED = "登录已锁定"


@pytest.fixture
def leader():
    return UserFactory(username="leader_zhao", role=User.Role.STREET_LEADER, street=StreetFactory())


@pytest.fixture
def administrator():
    return UserFactory(username="root", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


def browser():
    """A client that, like a browser, must send the form's CSRF token back."""
    return Client(enforce_csrf_checks=True)


def sign_in(client, username, password, address, path="/accounts/login/"):
    form = client.get(path, REMOTE_ADDR=address)
    assert form.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
    return client.post(
        path,
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"},
        REMOTE_ADDR=address,
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def assert_locked_out(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "1800"
    page = response.content.decode()
    assert LOCKED in page
    assert "请在 30 分钟后再试" in page
    assert "系统管理员" in page and "登录尝试" in page


def test_sixty_wrong_passwords_then_the_right_one_is_refused(leader):
    client = browser()
    answers = [sign_in(client, "leader_zhao", f"guess-{n}", HERE) for n in range(60)]

    assert all(a.status_code == 200 and WRONG in a.content.decode() for a in answers[:4])
    for answer in answers[4:]:
        assert_locked_out(answer)
    assert_locked_out(sign_in(client, "leader_zhao", PASSWORD, HERE))
    assert client.get("/").status_code == 302  # still signed out


def test_the_account_stays_locked_from_another_address(leader):
    for n in range(5):
        sign_in(browser(), "leader_zhao", f"guess-{n}", HERE)

    assert_locked_out(sign_in(browser(), "leader_zhao", PASSWORD, ELSEWHERE))


def test_the_address_is_locked_for_every_account_after_30_failures(leader):
    colleague = UserFactory(username="staff_qian")
    guesser = browser()
    # 29 failures spread over accounts, none reaching its own limit of 5.
    for n in range(29):
        assert sign_in(guesser, f"someone{n % 10}", "guess", HERE).status_code == 200
    # A colleague at the same office still signs in: the address has one failure left.
    assert signed_in(sign_in(browser(), "staff_qian", PASSWORD, HERE))

    assert_locked_out(sign_in(guesser, "someone9", "guess", HERE))  # the 30th
    assert_locked_out(sign_in(browser(), "leader_zhao", PASSWORD, HERE))
    # The accounts themselves are not locked: from elsewhere they sign in.
    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, ELSEWHERE))
    assert colleague.username == "staff_qian"


def test_the_admin_sign_in_is_guarded_the_same_way(administrator):
    client = browser()
    answers = [sign_in(client, "root", f"guess-{n}", HERE, path="/admin/login/") for n in range(5)]

    assert all(a.status_code == 200 for a in answers[:4])
    assert_locked_out(answers[4])
    assert_locked_out(sign_in(browser(), "root", PASSWORD, ELSEWHERE, path="/admin/login/"))
    # One account, one lock: the screens' sign-in refuses it too.
    assert_locked_out(sign_in(browser(), "root", PASSWORD, ELSEWHERE))


def test_an_administrator_unlocks_an_account_in_the_admin(leader, administrator):
    for n in range(5):
        sign_in(browser(), "leader_zhao", f"guess-{n}", HERE)
    assert_locked_out(sign_in(browser(), "leader_zhao", PASSWORD, HERE))

    admin = browser()
    assert signed_in(sign_in(admin, "root", PASSWORD, ELSEWHERE, path="/admin/login/"))
    listing = admin.get("/admin/axes/accessattempt/", {"q": "leader_zhao"}, REMOTE_ADDR=ELSEWHERE)
    assert "leader_zhao" in listing.content.decode() and "登录尝试" in listing.content.decode()
    token = admin.cookies["csrftoken"].value
    rows = list(AccessAttempt.objects.filter(username="leader_zhao").values_list("pk", flat=True))
    confirm = {"action": "delete_selected", "_selected_action": rows, "csrfmiddlewaretoken": token}
    assert admin.post("/admin/axes/accessattempt/", confirm, REMOTE_ADDR=ELSEWHERE).status_code == 200
    done = admin.post("/admin/axes/accessattempt/", {**confirm, "post": "yes"}, REMOTE_ADDR=ELSEWHERE)
    assert done.status_code == 302

    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, HERE))


def test_the_reset_command_unlocks_an_account(leader):
    for n in range(5):
        sign_in(browser(), "leader_zhao", f"guess-{n}", HERE)

    call_command("axes_reset_username", "leader_zhao")

    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, HERE))


def test_the_lock_lifts_30_minutes_after_the_last_try(leader):
    for n in range(5):
        sign_in(browser(), "leader_zhao", f"guess-{n}", HERE)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=29))
    assert_locked_out(sign_in(browser(), "leader_zhao", PASSWORD, HERE))  # and the wait restarts

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, HERE))


def test_signing_in_forgets_only_ones_own_slips_from_that_address(leader):
    for n in range(3):
        sign_in(browser(), "leader_zhao", f"guess-{n}", ELSEWHERE)
    for n in range(4):
        sign_in(browser(), "someone", f"guess-{n}", HERE)
    sign_in(browser(), "leader_zhao", "guess", HERE)

    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, HERE))

    left = {(a.username, a.ip_address): a.failures_since_start for a in AccessAttempt.objects.all()}
    assert left == {("leader_zhao", ELSEWHERE): 3, ("someone", HERE): 4}
    # The three slips from elsewhere still count towards the account's five.
    assert sign_in(browser(), "leader_zhao", "guess", HERE).status_code == 200
    assert_locked_out(sign_in(browser(), "leader_zhao", "guess", HERE))


def test_the_lockout_page_speaks_english_when_chosen(leader):
    client = browser()
    client.cookies["django_language"] = "en"
    for n in range(5):
        answer = sign_in(client, "leader_zhao", f"guess-{n}", HERE)

    page = answer.content.decode()
    assert answer.status_code == 429
    assert "Sign-in locked" in page and "Try again in 30 minutes" in page
    assert "system administrator" in page and LOCKED not in page


def test_partner_api_keys_are_not_sign_ins(leader):
    partner = Client()
    for _ in range(40):
        answer = partner.get("/api/v1/tickets/", HTTP_AUTHORIZATION="Api-Key zt_wrong.secret", REMOTE_ADDR=HERE)
        assert answer.status_code == 401

    assert AccessAttempt.objects.count() == 0
    assert signed_in(sign_in(browser(), "leader_zhao", PASSWORD, HERE))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),  # no proxy of ours: the header is the client's to forge
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.99, 192.0.2.1", "192.0.2.1"),  # a forged entry before ours is ignored
        (2, "192.0.2.1, 10.0.0.3", "192.0.2.1"),
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
    ],
)
def test_the_address_is_read_behind_the_configured_proxies(proxies, forwarded, expected):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(ZHITONG_TRUSTED_PROXIES=proxies):
        assert client_address(request) == expected
