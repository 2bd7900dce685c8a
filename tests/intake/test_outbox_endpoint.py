"""Issue 16, item 2 (server side): a visit from a phone's outbox is logged exactly once by
the id the phone made, dated when the phone recorded it; refusals say why, per field."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from grievances.models import Ticket, Visit
from tests.factories import HouseholdFactory, staffed_zone
from tests.intake.test_desk_and_visits import category, member_of, visit_post  # noqa: F401

pytestmark = pytest.mark.django_db


def outbox_body(household, client_id, recorded_at, visited_on=None, **values):
    """As the phone sends it: the visit dated the day it was recorded (in Shanghai), which just
    after midnight there is not today's date."""
    return {
        **visit_post(household, **values),
        "visited_on": (visited_on or timezone.localdate(recorded_at)).isoformat(),
        "household": str(household.pk),
        "client_id": str(client_id),
        "recorded_at": recorded_at.isoformat(),
    }


def two_matters(category):  # noqa: F811
    return {
        "matter-0-category": category.pk,
        "matter-0-description": "楼道灯不亮",
        "matter-1-category": category.pk,
        "matter-1-description": "当场换了灯泡",
        "matter-1-outcome": "settled",
        "matter-1-satisfaction": "satisfied",
    }


def test_a_visit_is_logged_once_by_its_phone_id_and_dated_when_recorded(client, zone, category):  # noqa: F811
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    recorded = timezone.now() - dt.timedelta(hours=3)
    body = outbox_body(household, uuid.uuid4(), recorded, **two_matters(category))

    first = client.post("/visits/", body, HTTP_ACCEPT="application/json")
    again = client.post("/visits/", body, HTTP_ACCEPT="application/json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["id"] == first.json()["id"]
    assert [t["reference"] for t in again.json()["tickets"]] == [t["reference"] for t in first.json()["tickets"]]
    visit = Visit.objects.get()
    assert abs(visit.recorded_at - recorded) < dt.timedelta(seconds=1)
    assert visit.created_at > visit.recorded_at
    assert Ticket.objects.count() == 2


def test_json_bodies_are_accepted_too(client, zone, category):  # noqa: F811
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(household, uuid.uuid4(), timezone.now(), **two_matters(category))

    response = client.post("/visits/", json.dumps(body), content_type="application/json")

    assert response.status_code == 201, response.content
    assert len(response.json()["tickets"]) == 2


def test_another_person_cannot_reuse_a_visits_id(client, zone, category):  # noqa: F811
    household = HouseholdFactory(zone=zone)
    client_id = uuid.uuid4()
    client.force_login(member_of(zone))
    assert client.post("/visits/", outbox_body(household, client_id, timezone.now())).status_code == 201
    other = HouseholdFactory(zone=zone)
    from responders.models import User

    client.force_login(User.objects.get(role=User.Role.COMMITTEE_STAFF, committee=zone.committee))
    response = client.post("/visits/", outbox_body(other, client_id, timezone.now(), notes="overwrite"))

    assert response.status_code == 409
    assert response.json()["reasons"]
    visit = Visit.objects.get()
    assert (visit.household, visit.notes) == (household, "")


def test_a_household_no_longer_the_members_is_404_in_words(client, zone):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    household.zone = staffed_zone()
    household.save()

    response = client.post("/visits/", outbox_body(household, uuid.uuid4(), timezone.now()))

    assert response.status_code == 404
    assert response.json()["detail"]
    assert not Visit.objects.exists()


def test_a_bad_field_is_refused_naming_it(client, zone, category):  # noqa: F811
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(household, uuid.uuid4(), timezone.now(), **{"matter-0-description": "无类别"})

    response = client.post("/visits/", body)

    assert response.status_code == 400
    assert "matter-0-category" in response.json()["errors"]
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "recorded, field",
    [(dt.timedelta(hours=1), "recorded_at"), (-dt.timedelta(days=400), "recorded_at")],
)
def test_a_recorded_time_in_the_future_or_too_old_is_refused(client, zone, recorded, field):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))

    today = timezone.localdate()  # a visit of today, whatever its recorded time claims
    response = client.post("/visits/", outbox_body(household, uuid.uuid4(), timezone.now() + recorded, today))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Visit.objects.exists()


def test_a_signed_out_phone_is_told_to_sign_in(client, zone):
    household = HouseholdFactory(zone=zone)
    response = client.post("/visits/", outbox_body(household, uuid.uuid4(), timezone.now()))
    assert response.status_code == 401
    assert response.json()["code"] == "signed_out"


def test_the_visit_form_answers_the_outbox_as_json(client, zone):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(household, uuid.uuid4(), timezone.now())

    response = client.post(f"/households/{household.pk}/visits/new/", body, HTTP_ACCEPT="application/json")

    assert response.status_code == 201
    assert Visit.objects.get().client_id is not None


def test_the_form_sent_twice_online_with_its_id_logs_one_visit(client, zone):
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = {**visit_post(household), "client_id": str(uuid.uuid4())}

    first = client.post(f"/households/{household.pk}/visits/new/", body)
    again = client.post(f"/households/{household.pk}/visits/new/", body)

    assert (first.status_code, again.status_code) == (302, 302)
    assert Visit.objects.count() == 1


def test_the_service_worker_is_served_for_the_whole_site(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert body.startswith("var ZHITONG = {")
    assert "/static/outbox.js" in body and "/static/manifest.webmanifest" in body


def test_every_page_links_the_manifest_and_the_outbox(client, zone):
    client.force_login(member_of(zone))
    page = client.get("/").content.decode()
    assert 'rel="manifest"' in page
    assert "/static/outbox.js" in page
    assert "data-offline-bar" in page and 'id="outbox"' in page


def test_a_visit_from_the_outbox_keeps_the_phones_location(client, zone, category):  # noqa: F811
    """The point "use my location" put in the form travels with the outbox like the rest."""
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(
        household, uuid.uuid4(), timezone.now(), lat="31.20731", long="121.49562", **two_matters(category)
    )

    answer = client.post("/visits/", body, HTTP_ACCEPT="application/json")

    assert answer.status_code == 201, answer.content
    points = {(round(t.lat, 5), round(t.long, 5)) for t in Ticket.objects.all()}
    assert points == {(31.20731, 121.49562)}


def test_a_visit_from_the_outbox_arrives_with_its_photos_once(client, zone, category):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grievances.models import Photo
    from tests import photo_files

    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(household, uuid.uuid4(), timezone.now() - dt.timedelta(hours=1), **two_matters(category))

    def send():
        data = photo_files.jpeg(exif=photo_files.gps_exif())
        photo = SimpleUploadedFile("stairs.jpg", data, content_type="image/jpeg")
        return client.post("/visits/", {**body, "photos": [photo]}, HTTP_ACCEPT="application/json")

    first, again = send(), send()

    assert first.status_code == 201, first.content
    assert first.json()["photos"] == 2  # one copy with each ticket the visit raised
    assert again.status_code == 200 and again.json()["photos"] == 2  # a retry adds none
    visit = Visit.objects.get()
    assert sorted(Photo.objects.values_list("ticket__visit", flat=True)) == [visit.pk, visit.pk]
    assert set(Photo.objects.values_list("visit", flat=True)) == {visit.pk}


def test_a_bad_photo_in_the_outbox_is_refused_by_name_and_nothing_is_logged(client, zone, category):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grievances.models import Photo
    from tests import photo_files

    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    body = outbox_body(household, uuid.uuid4(), timezone.now(), **two_matters(category))
    pdf = SimpleUploadedFile("scan.jpg", photo_files.PDF, content_type="image/jpeg")

    response = client.post("/visits/", {**body, "photos": [pdf]}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert "photos" in response.json()["errors"]
    assert "该文件不是可识别的照片" in " ".join(response.json()["errors"]["photos"])
    assert not Visit.objects.exists() and not Ticket.objects.exists() and not Photo.objects.exists()
