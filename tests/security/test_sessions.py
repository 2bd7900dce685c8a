"""Staff sessions end after a working day without a request (ZHITONG_SESSION_IDLE_HOURS,
default 10), not Django's 14 days; every request starts the day again. The clock is moved
forward, the session row is left as the server wrote it."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from responders.models import User
from tests.factories import StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_session_lasts_a_working_day_and_is_not_rewritten_on_every_page(client):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    UserFactory(username="clerk_li", role=User.Role.STREET_STAFF, street=StreetFactory())
    start = timezone.now()
    with at(start):
        client.post("/accounts/login/", {"username": "clerk_li", "password": "pw-for-tests"})
        client.get("/")
    first = Session.objects.get().expire_date

    with at(start + dt.timedelta(minutes=2)):  # a page a little later: the session is left alone
        client.get("/")
    unchanged = Session.objects.get().expire_date
    with at(start + dt.timedelta(minutes=7)):  # a few minutes on: its end moves with the request
        client.get("/")

    assert unchanged == first
    assert Session.objects.get().expire_date - first >= dt.timedelta(minutes=6)


def test_an_idle_session_is_signed_out_after_ten_hours(client):
    leader = UserFactory(username="leader_sun", role=User.Role.STREET_LEADER, street=StreetFactory())
    start = timezone.now()
    with at(start):
        client.post("/accounts/login/", {"username": "leader_sun", "password": "pw-for-tests"})
        assert client.get("/").status_code == 200
    session = Session.objects.get()
    assert session.get_decoded()["_auth_user_id"] == str(leader.pk)
    assert abs(session.expire_date - (start + dt.timedelta(hours=10))) < dt.timedelta(seconds=5)

    # Nine and a half hours later: still signed in, and the day starts again from here.
    later = start + dt.timedelta(hours=9, minutes=30)
    with at(later):
        assert client.get("/").status_code == 200
    # Another nine and a half hours (nineteen since signing in): still signed in.
    with at(later + dt.timedelta(hours=9, minutes=30)):
        assert client.get("/").status_code == 200
    # Then ten hours and a minute without a request: signed out.
    with at(later + dt.timedelta(hours=19, minutes=31)):
        answer = client.get("/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
