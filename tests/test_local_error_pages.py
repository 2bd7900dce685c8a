"""`make run` (config.settings.local) shows the product's own error pages, not Django's debug
page: that page is in English, lists every URL pattern, and answers a ticket outside one's
units with the details of the URL it did not find."""

import importlib

import pytest
from django.test import Client, override_settings
from django.urls import path

from config import urls
from tests.factories import make_ticket, staffed_zone


def local_settings(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    from config.settings import local

    return importlib.reload(local)


def as_in(local):
    """The settings that decide what an error or a static file answers under `make run`."""
    names = ("DEBUG", "MIDDLEWARE", "WHITENOISE_USE_FINDERS", "WHITENOISE_AUTOREFRESH")
    return {name: getattr(local, name) for name in names}


def test_debug_is_off_unless_a_developer_turns_it_on(monkeypatch):
    assert local_settings(monkeypatch).DEBUG is False
    monkeypatch.setenv("DEBUG", "true")
    from config.settings import local

    assert importlib.reload(local).DEBUG is True
    monkeypatch.delenv("DEBUG")
    importlib.reload(local)


@pytest.mark.django_db
def test_a_ticket_outside_ones_units_answers_our_404_page_in_chinese(monkeypatch):
    from responders.models import User

    local = local_settings(monkeypatch)
    ticket = make_ticket()  # in a zone of its own
    other_zone = staffed_zone()
    member = User.objects.get(memberships__team__zone=other_zone)
    client = Client()
    client.force_login(member)
    with override_settings(**as_in(local)):
        response = client.get(f"/tickets/{ticket.pk}/", headers={"accept-language": "zh-hans"})
        style = client.get("/static/zhitong.css")

    assert response.status_code == 404
    assert [t.name for t in response.templates][:1] == ["404.html"]
    page = response.content.decode()
    assert "未找到" in page
    assert "URLconf" not in page and "Page not found" not in page and "DEBUG" not in page
    # The page keeps its style: runserver does not serve static files without DEBUG, WhiteNoise does.
    assert style.status_code == 200
    assert b".topbar" in b"".join(style.streaming_content)


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *urls.urlpatterns]


@pytest.mark.django_db
def test_a_server_error_answers_our_500_page(monkeypatch):
    local = local_settings(monkeypatch)
    client = Client(raise_request_exception=False)
    with override_settings(**as_in(local), ROOT_URLCONF=__name__):
        response = client.get("/boom/", headers={"accept-language": "zh-hans"})

    assert response.status_code == 500
    page = response.content.decode()
    assert "出错了" in page and "Traceback" not in page and "RuntimeError" not in page
