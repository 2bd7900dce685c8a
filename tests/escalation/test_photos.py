"""Photos on the ticket page: uploaded by whoever sees the ticket, shown as thumbnails, and
served only through the view that applies the visibility rule."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import NotPermitted
from escalation.photos import photos_add
from grievances.models import Photo
from responders.models import User
from tests import photo_files
from tests.factories import make_ticket, staffed_zone

pytestmark = pytest.mark.django_db


def street_staff(zone) -> User:
    return User.objects.get(role=User.Role.STREET_STAFF, street=zone.committee.street)


def upload(name="photo.jpg", data=None):
    return SimpleUploadedFile(name, data if data is not None else photo_files.jpeg(), content_type="image/jpeg")


@pytest.fixture
def opened(zone):
    return make_ticket(zone=zone)


def test_upload_on_the_ticket_page_and_the_page_shows_thumbnails(client, zone, opened):
    client.force_login(street_staff(zone))
    page = client.get(reverse("ticket", args=[opened.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and "data-photo-input" in page
    response = client.post(
        reverse("ticket_photos_add", args=[opened.pk]),
        {"photos": [upload("a.jpg", photo_files.jpeg(color=(1, 2, 3))), upload("b.png", photo_files.png())]},
        follow=True,
    )
    assert response.status_code == 200
    photos = list(opened.photos.all())
    assert len(photos) == 2 and photos[0].uploaded_by == street_staff(zone)
    page = response.content.decode()
    for photo in photos:
        assert reverse("photo_thumb", args=[photo.pk]) in page
    thumb = client.get(reverse("photo_thumb", args=[photos[0].pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content) == photos[0].thumbnail.open("rb").read()
    assert client.get(reverse("photo", args=[photos[0].pk])).status_code == 200


def test_a_refused_file_is_named_and_nothing_is_stored(client, zone, opened):
    client.force_login(street_staff(zone))
    response = client.post(
        reverse("ticket_photos_add", args=[opened.pk]),
        {"photos": [upload("ok.jpg"), upload("doc.pdf", photo_files.PDF)]},
        follow=True,
    )
    assert "该文件不是可识别的照片" in response.content.decode()  # not a photo we can read
    assert not Photo.objects.exists()


def test_another_streets_staff_get_404_for_the_photo_and_cannot_upload(client, zone, opened):
    photo = photos_add(ticket=opened, actor=street_staff(zone), files=[upload()])[0]
    stranger = street_staff(staffed_zone())
    client.force_login(stranger)
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404
    assert client.get(reverse("photo_thumb", args=[photo.pk])).status_code == 404
    assert client.post(reverse("ticket_photos_add", args=[opened.pk]), {"photos": [upload()]}).status_code == 404
    with pytest.raises(NotPermitted):
        photos_add(ticket=opened, actor=stranger, files=[upload("c.jpg", photo_files.jpeg(color=(9, 9, 9)))])


def test_signed_out_the_photo_is_not_served(client, zone, opened):
    photo = photos_add(ticket=opened, actor=street_staff(zone), files=[upload()])[0]
    response = client.get(reverse("photo", args=[photo.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_liaisons_photos_are_marked_as_the_departments_answer(client, zone, opened):
    from escalation import transitions
    from escalation.models import Referral
    from tests.factories import UserFactory, department_for

    department = department_for(opened)
    liaison = UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department)
    transitions.ticket_acknowledge(ticket=opened, actor="test")
    transitions.ticket_refer(ticket=opened, actor="test", department=department)
    client.force_login(liaison)
    response = client.post(reverse("ticket_photos_add", args=[opened.pk]), {"photos": [upload()]}, follow=True)
    assert response.status_code == 200
    (photo,) = opened.photos.all()
    assert photo.stage == Photo.Stage.ANSWER and photo.referral_id == Referral.objects.get(ticket=opened).pk
    assert client.get(reverse("photo_thumb", args=[photo.pk])).status_code == 200
    # Another department's liaison sees neither the ticket nor its photo.
    client.force_login(UserFactory(role=User.Role.DEPARTMENT_LIAISON, department=department_for(opened)))
    assert client.get(reverse("photo", args=[photo.pk])).status_code == 404


def test_nobody_adds_photos_to_a_cancelled_ticket(zone, opened):
    from escalation import transitions

    staff = street_staff(zone)
    transitions.ticket_cancel(ticket=opened, actor=staff, reason="withdrawn")
    opened.refresh_from_db()
    with pytest.raises(NotPermitted):
        photos_add(ticket=opened, actor=staff, files=[upload()])
