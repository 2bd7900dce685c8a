"""Photos taken on a visit: kept with the tickets the visit raises (stage "visit"); a bad
one refuses the whole form before anything is logged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grievances.models import Category, Photo, Ticket, Visit
from tests import photo_files
from tests.factories import HouseholdFactory
from tests.intake.test_desk_and_visits import member_of, visit_post

pytestmark = pytest.mark.django_db


def _post(client, household, photos, **matters):
    data = visit_post(household, **matters)
    data["photos"] = photos
    return client.post(f"/households/{household.pk}/visits/new/", data)


def _matter(category):
    return {"matter-0-category": category.pk, "matter-0-description": "屋顶漏水", "matter-0-outcome": "raised"}


def test_a_visits_photos_are_kept_with_the_ticket_it_raises(client, zone):
    category = Category.objects.get(code="environment")
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    page = client.get(f"/households/{household.pk}/visits/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page and "data-photo-input" in page
    photo = SimpleUploadedFile("roof.jpg", photo_files.jpeg(exif=photo_files.gps_exif()), content_type="image/jpeg")
    response = _post(client, household, [photo], **_matter(category))
    assert response.status_code == 302
    (stored,) = Photo.objects.all()
    assert stored.ticket == Ticket.objects.get() and stored.visit == Visit.objects.get()
    assert stored.stage == Photo.Stage.VISIT and stored.uploaded_by == member_of(zone)


def test_a_bad_photo_refuses_the_visit_before_anything_is_logged(client, zone):
    category = Category.objects.get(code="environment")
    household = HouseholdFactory(zone=zone)
    client.force_login(member_of(zone))
    pdf = SimpleUploadedFile("scan.pdf", photo_files.PDF, content_type="application/pdf")
    response = _post(client, household, [pdf], **_matter(category))
    assert response.status_code == 400
    assert "该文件不是可识别的照片" in response.content.decode()  # not a photo we can read
    assert not Visit.objects.exists() and not Ticket.objects.exists() and not Photo.objects.exists()
