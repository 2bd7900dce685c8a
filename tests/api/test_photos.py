"""Photos through the API: a ticket lists its photos with URLs under /api/v1/ that the same
key fetches; a key on another street gets 404, as for the ticket itself."""

import pytest
from django.test import Client

from grievances.photos import photo_store, process
from responders.models import User
from tests import photo_files
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def photographed(zone):
    ticket = make_ticket(zone=zone)
    photo = photo_store(ticket=ticket, processed=process(photo_files.jpeg(800, 600)))
    return ticket, photo


def test_the_api_lists_photos_and_the_key_fetches_them(api_client, zone, photographed):
    ticket, photo = photographed
    client = api_client(zone.committee.street, scopes=("tickets:read",))
    listed = client.get("/api/v1/tickets/").json()["results"][0]["photos"]
    detail = client.get(f"/api/v1/tickets/{ticket.pk}/").json()["photos"]
    expected = [
        {
            "id": photo.pk,
            "url": f"/api/v1/photos/{photo.pk}/",
            "thumbnail_url": f"/api/v1/photos/{photo.pk}/thumb/",
            "width": 800,
            "height": 600,
        }
    ]
    assert listed == detail == expected
    full = client.get(expected[0]["url"], HTTP_ACCEPT="application/json")
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    assert b"".join(full.streaming_content) == photo.image.open("rb").read()
    thumb = client.get(expected[0]["thumbnail_url"])
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"


def test_a_key_on_another_street_gets_404(api_client, photographed):
    _, photo = photographed
    stranger = api_client(staffed_zone().committee.street, scopes=("tickets:read",))
    for path in (f"/api/v1/photos/{photo.pk}/", f"/api/v1/photos/{photo.pk}/thumb/", "/api/v1/photos/999999/"):
        response = stranger.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_without_a_key_or_a_scope_nothing_is_served(api_client, zone, photographed):
    _, photo = photographed
    assert Client().get(f"/api/v1/photos/{photo.pk}/").status_code in (401, 403)
    no_read = api_client(zone.committee.street, scopes=("tickets:write",))
    assert no_read.get(f"/api/v1/photos/{photo.pk}/").status_code == 403


def test_a_staff_session_sees_photos_of_its_street_only(client, zone, photographed):
    _, photo = photographed
    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street))
    assert client.get(f"/api/v1/photos/{photo.pk}/").status_code == 200
    client.force_login(User.objects.get(role=User.Role.STREET_STAFF, street=staffed_zone().committee.street))
    assert client.get(f"/api/v1/photos/{photo.pk}/").status_code == 404


def test_open311_answers_media_url_for_the_first_photo_which_the_key_fetches(hotline, zone, photographed):
    from api.services import partner_key_create

    ticket, photo = photographed
    photo_store(ticket=ticket, processed=process(photo_files.jpeg(64, 48, color=(0, 0, 0))))  # a second one
    bare = make_ticket(zone=zone)
    _, raw = partner_key_create(partner=hotline, name="o", streets=[zone.committee.street], scopes=["tickets:read"])
    (request,) = Client().get(f"/open311/v2/requests/{ticket.reference}.json", {"api_key": raw}).json()
    assert request["media_url"] == f"http://testserver/api/v1/photos/{photo.pk}/"
    fetched = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}").get(request["media_url"])
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/jpeg"
    (none,) = Client().get(f"/open311/v2/requests/{bare.reference}.json", {"api_key": raw}).json()
    assert none["media_url"] is None
    listed = Client().get("/open311/v2/requests.json", {"api_key": raw}).json()
    assert {r["service_request_id"]: r["media_url"] for r in listed}[ticket.reference] == request["media_url"]


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _create(client, zone, photos, key="k1"):
    body = {"category": "environment", "description": "墙面开裂", "zone": zone.pk, "photos": photos}
    return client.post("/api/v1/tickets/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_new_ticket_accepts_photos_in_base64_stored_without_exif(api_client, zone):
    from PIL import Image

    client = api_client(zone.committee.street)
    big = photo_files.camera_jpeg(1600, 1200, exif=photo_files.gps_exif())
    assert len(big) > 64 * 1024  # larger than any other request body may be
    created = _create(
        client, zone, [{"content": _b64(big), "filename": "IMG_1.jpg"}, {"content": _b64(photo_files.png())}]
    )
    assert created.status_code == 201, created.content
    photos = created.json()["photos"]
    assert [(p["width"], p["height"]) for p in photos] == [(1600, 1200), (300, 200)]
    stored = client.get(photos[0]["url"])
    image = Image.open(__import__("io").BytesIO(b"".join(stored.streaming_content)))
    assert not image.getexif()
    from grievances.models import Photo

    assert Photo.objects.get(pk=photos[0]["id"]).uploaded_via.code == "hotline12345"


@pytest.mark.parametrize(
    "photo, code",
    [
        ({"content": "not base64!"}, "invalid"),
        ({"content": _b64(photo_files.PDF)}, "invalid_photo"),
        ({"content": _b64(photo_files.bomb_png())}, "photo_too_many_pixels"),
    ],
)
def test_a_bad_photo_refuses_the_new_ticket_naming_the_field(api_client, zone, photo, code):
    from grievances.models import Ticket

    client = api_client(zone.committee.street)
    refused = _create(client, zone, [{"content": _b64(photo_files.jpeg())}, photo])
    assert refused.status_code == 400, refused.content
    assert "photos" in refused.content.decode() and code in refused.content.decode()
    assert not Ticket.objects.exists()


def test_only_a_new_ticket_may_have_a_large_body(api_client, zone):
    client = api_client(zone.committee.street)
    ticket = make_ticket(zone=zone)
    padding = "x" * (70 * 1024)
    acted = client.post(
        f"/api/v1/tickets/{ticket.pk}/actions/acknowledge/", {"note": padding}, content_type="application/json"
    )
    assert acted.status_code == 413
