"""Photos (issue 16, item 3): a real image is stored re-encoded without EXIF and with a
thumbnail; anything else is refused with a message naming the field."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import InvalidInput
from grievances.models import Photo
from grievances.photos import photo_store, process, read_upload
from tests import photo_files

pytestmark = pytest.mark.django_db


def test_a_jpeg_with_gps_is_stored_without_exif_and_the_right_way_up():
    # Orientation 6: the camera held sideways; the stored picture is turned upright.
    data = photo_files.jpeg(800, 600, exif=photo_files.gps_exif(orientation=6))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # it had a location
    result = process(data)
    stored = Image.open(io.BytesIO(result.content))
    assert stored.format == "JPEG"
    assert not stored.getexif()  # no EXIF at all, so no GPS
    assert "exif" not in stored.info
    assert (stored.width, stored.height) == (result.width, result.height) == (600, 800)
    # The blue mark (top-left before turning 90° clockwise) is now at the top right.
    r, g, b = stored.getpixel((stored.width - 10, 10))
    assert b > 150 and r < 100


def test_a_thumbnail_is_made_and_a_large_photo_is_scaled_down():
    result = process(photo_files.jpeg(3200, 2400))
    assert (result.width, result.height) == (1600, 1200)
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


def test_a_png_named_jpg_is_an_image_and_is_re_encoded():
    upload = SimpleUploadedFile("photo.jpg", photo_files.png(), content_type="image/jpeg")
    result = process(read_upload(upload, "photos"))
    assert Image.open(io.BytesIO(result.content)).format == "JPEG"


def _refused(data, field="photos") -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        process(data, field=field)
    assert refused.value.field == field
    return refused.value


def test_a_truncated_jpeg_is_refused_naming_the_field():
    data = photo_files.jpeg(800, 600)
    error = _refused(data[: len(data) // 2], field="photo")
    assert error.code == "invalid_photo" and "照片" in error.message  # "not a photo we can read"


def test_a_pdf_is_refused():
    assert _refused(photo_files.PDF).code == "invalid_photo"


def test_a_decompression_bomb_is_refused_quickly_without_decoding():
    started = time.perf_counter()
    error = _refused(photo_files.bomb_png(20_000, 20_000))
    assert error.code == "photo_too_many_pixels"
    assert time.perf_counter() - started < 1  # decoding 400 MP would take far longer


def test_a_picture_just_over_the_pixel_limit_is_refused(settings):
    settings.ZHITONG_PHOTO_MAX_PIXELS = 1000
    assert _refused(photo_files.jpeg(40, 30)).code == "photo_too_many_pixels"


def test_over_the_size_limit_is_refused_before_reading_it_all(settings):
    settings.ZHITONG_PHOTO_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.jpg", photo_files.jpeg(800, 600), content_type="image/jpeg")
    with pytest.raises(InvalidInput) as refused:
        read_upload(upload, "photos")
    assert refused.value.code == "photo_too_large" and refused.value.field == "photos"
    assert _refused(photo_files.jpeg(800, 600)).code == "photo_too_large"


def test_the_same_picture_twice_on_a_ticket_is_kept_once(zone):
    from tests.factories import make_ticket

    ticket = make_ticket(zone=zone)
    processed = process(photo_files.jpeg())
    first = photo_store(ticket=ticket, processed=processed)
    again = photo_store(ticket=ticket, processed=processed)
    assert first.pk == again.pk and Photo.objects.count() == 1
    assert first.image.name.startswith(f"photos/{first.created_at:%Y/%m}/{ticket.pk}/{processed.sha256}")
    assert first.image.name.endswith(".jpg") and "-thumb" in first.thumbnail.name
    assert first.image.read() == processed.content


def test_an_administrator_deletes_an_unsuitable_photo_and_its_files_in_the_admin(client, zone):
    from django.core.files.storage import default_storage

    from responders.models import User
    from tests.factories import UserFactory, make_ticket

    photo = photo_store(ticket=make_ticket(zone=zone), processed=process(photo_files.jpeg(color=(5, 6, 7))))
    names = [photo.image.name, photo.thumbnail.name]
    admin = UserFactory(role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(f"/admin/grievances/photo/{photo.pk}/change/").status_code == 200
    assert client.get("/admin/grievances/photo/add/").status_code == 403
    response = client.post(f"/admin/grievances/photo/{photo.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Photo.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
