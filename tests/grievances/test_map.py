"""The street's map: the open tickets a person sees, as points coloured by deadline, over a
plain grid or, when ZHITONG_MAP_TILE_URL is set, that server's tiles (never fetched here)."""

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from core.geo import fitting_zoom, world_pixel
from escalation import transitions
from escalation.sla import SLA
from grievances import maps
from grievances.models import Ticket
from responders.models import User
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db

TILES = "https://tiles.example.cn/{z}/{x}/{y}.png"


def street_staff(zone) -> User:
    return User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)


def img_src(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        if name == "img-src":
            return sources
    return []


def due_in(ticket, delta):
    """Move the ticket's deadline, and its warnings with it, as a new clock would set them."""
    due = timezone.now() + delta
    Ticket.objects.filter(pk=ticket.pk).update(resolve_by=due, **SLA.load().warnings(ticket.created_at, due))


def test_the_map_shows_the_streets_open_points_by_deadline_and_nothing_of_another_street(client, zone):
    overdue = make_ticket(zone=zone, lat=31.2059, long=121.4890)
    soon = make_ticket(zone=zone, lat=31.2100, long=121.4700)
    later = make_ticket(zone=zone, lat=31.2000, long=121.4800)
    unplaced = make_ticket(zone=zone)
    closed = make_ticket(zone=zone, lat=31.2010, long=121.4810)
    transitions.ticket_resolve(ticket=closed, actor="test", outcome="solved")
    elsewhere = make_ticket(zone=staffed_zone(), lat=31.2050, long=121.4850)
    due_in(overdue, -dt.timedelta(hours=2))
    due_in(soon, dt.timedelta(hours=3))
    due_in(later, dt.timedelta(days=5))
    client.force_login(street_staff(zone))

    page = client.get("/map/").content.decode()

    points = dict(re.findall(r'<a href="/tickets/(\d+)/" data-state="(\w+)">', page))
    assert points == {str(overdue.pk): "overdue", str(soon.pk): "due_soon", str(later.pk): "on_time"}
    assert f"/tickets/{elsewhere.pk}/" not in page and f"/tickets/{closed.pk}/" not in page
    assert 'class="pt pt-overdue"' in page and 'class="pt pt-due_soon"' in page and 'class="pt pt-on_time"' in page
    assert 'data-testid="unplaced"' in page and f"/tickets/{unplaced.pk}/" not in page
    # Every point inside the picture; a plain background with its grid, no tile.
    for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="8"', page):
        assert 0 <= float(x) <= maps.WIDTH and 0 <= float(y) <= maps.HEIGHT
    assert 'class="map-plain"' in page and "<image" not in page
    assert "tiles.example.cn" not in " ".join(img_src(client.get("/map/")))


def test_a_zone_member_sees_only_their_zones_points(client, zone):
    member = User.objects.get(memberships__team__zone=zone)
    from tests.factories import ZoneFactory  # another zone of the same committee, no team

    mine = make_ticket(zone=zone, lat=31.2, long=121.4)
    neighbours = make_ticket(zone=ZoneFactory(committee=zone.committee), lat=31.21, long=121.41)
    client.force_login(member)

    page = client.get("/map/").content.decode()

    assert f"/tickets/{mine.pk}/" in page and f"/tickets/{neighbours.pk}/" not in page


@override_settings(ZHITONG_MAP_TILE_URL=TILES)
def test_with_a_tile_url_the_map_draws_tiles_and_only_its_page_lets_the_host_in(client, zone):
    make_ticket(zone=zone, lat=31.2059, long=121.4890)
    make_ticket(zone=zone, lat=31.2300, long=121.4500)
    client.force_login(street_staff(zone))

    response = client.get("/map/")
    page = response.content.decode()

    tiles = re.findall(r'<image href="https://tiles\.example\.cn/(\d+)/(\d+)/(\d+)\.png"', page)
    assert tiles and 'class="map-plain"' not in page
    zoom = {int(z) for z, _, _ in tiles}
    assert len(zoom) == 1 and 10 <= zoom.pop() <= 17
    assert "https://tiles.example.cn" in img_src(response)
    assert "https://tiles.example.cn" not in img_src(client.get("/queue/"))


@override_settings(ZHITONG_MAP_TILE_URL=TILES)
def test_with_nothing_to_draw_no_tile_is_asked_for(client, zone):
    client.force_login(street_staff(zone))

    response = client.get("/map/")

    assert "<image" not in response.content.decode()
    assert "https://tiles.example.cn" not in img_src(response)


def test_the_zoom_fits_the_points_and_a_lone_point_is_not_zoomed_to_the_pavement():
    points = [(31.2059, 121.4890), (31.2300, 121.4500)]
    zoom = fitting_zoom(points, 720, 480)
    xs, ys = zip(*(world_pixel(lat, long, zoom) for lat, long in points), strict=True)
    assert max(xs) - min(xs) <= 720 and max(ys) - min(ys) <= 480
    xs, ys = zip(*(world_pixel(lat, long, zoom + 1) for lat, long in points), strict=True)
    assert max(xs) - min(xs) > 720 or max(ys) - min(ys) > 480

    class Lone:
        lat, long = 31.2, 121.4

    assert maps.draw([(Lone, "on_time")]).zoom == maps.MAX_ZOOM
    assert maps.tile_host(TILES) == "https://tiles.example.cn"
    assert maps.tile_host("") is None
