"""The dashboard's figures of the month are kept in the cache for a short while
(ZHITONG_DASHBOARD_CACHE_SECONDS), saying when they were counted; its queue counts are live."""

import pytest
from django.core.cache import cache

from responders.models import User
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept_a_minute(settings):
    settings.ZHITONG_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_the_months_figures_are_kept_and_the_queue_is_live(client, kept_a_minute):
    # given
    zone = staffed_zone()
    make_ticket(zone=zone)
    client.force_login(User.objects.get(committee=zone.committee, role="committee_staff"))
    first = client.get("/dashboard/").content.decode()

    # when
    make_ticket(zone=zone)
    kept = client.get("/dashboard/").content.decode()
    cache.clear()  # the minute is over
    recounted = client.get("/dashboard/").content.decode()

    # then
    assert 'data-testid="received">1<' in first and 'data-testid="queue-open">1<' in first
    assert 'data-testid="received">1<' in kept and 'data-testid="queue-open">2<' in kept
    assert 'data-testid="received">2<' in recounted and 'data-testid="queue-open">2<' in recounted
    assert 'data-testid="figures-as-of"' in kept and "统计数据截至" in kept


def test_another_person_with_another_scope_gets_their_own_figures(client, kept_a_minute):
    zone, other = staffed_zone(), staffed_zone()
    make_ticket(zone=zone)
    client.force_login(User.objects.get(committee=zone.committee, role="committee_staff"))
    client.get("/dashboard/")

    client.force_login(User.objects.get(committee=other.committee, role="committee_staff"))
    page = client.get("/dashboard/").content.decode()

    assert 'data-testid="received">0<' in page
