"""Photos on tickets, visits and department answers: checking an upload is a real image,
re-encoding it without its metadata, and the thumbnail. Pure Pillow, no policy: who may add
a photo is escalation.policy's question (asked by escalation.photos)."""

import contextlib
import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

# The formats a phone's camera or gallery gives; anything else is refused by its content,
# whatever its name says (a PNG named .jpg is a PNG, and is accepted and re-encoded).
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 75


@dataclass(frozen=True)
class Processed:
    """A checked photo: the stored JPEG (no EXIF), its thumbnail, and what is kept about it."""

    content: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str


def max_bytes() -> int:
    return settings.ZHITONG_PHOTO_MAX_BYTES


def max_pixels() -> int:
    return settings.ZHITONG_PHOTO_MAX_PIXELS


def _refuse(message: str, field: str, code: str = "invalid_photo"):
    raise InvalidInput(message, field=field, code=code)


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif= argument: the re-encoded file carries no EXIF (nor GPS) at all.
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def read_upload(upload, field: str) -> bytes:
    """The bytes of an uploaded file, refused over the size limit before they are read whole."""
    limit = max_bytes()
    if getattr(upload, "size", None) is not None and upload.size > limit:
        _too_big(field, limit)
    data = upload.read(limit + 1)
    if len(data) > limit:
        _too_big(field, limit)
    return data


def _too_big(field: str, limit: int):
    _refuse(
        _("The photo is larger than %(mb)s MB; take it again at a smaller size.") % {"mb": f"{limit / 1048576:g}"},
        field,
        code="photo_too_large",
    )


def process(data: bytes, *, field: str = "photo") -> Processed:
    """Check `data` is an image Pillow can decode whole, within the size and pixel limits;
    return it re-encoded as a JPEG (turned upright, EXIF dropped, at most
    ZHITONG_PHOTO_MAX_SIDE px) and its thumbnail. Anything else is InvalidInput naming `field`."""
    limit = max_bytes()
    if len(data) > limit:
        _too_big(field, limit)
    not_an_image = _("This file is not a photo we can read (JPEG, PNG or WebP); choose another.")
    bomb = _("This picture has too many pixels to be a photo; choose another.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads only the header: the size is known before anything is decoded.
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    _refuse(not_an_image, field)
                if probe.width * probe.height > max_pixels():
                    _refuse(bomb, field, code="photo_too_many_pixels")
                probe.verify()
            image = Image.open(io.BytesIO(data))
            side = settings.ZHITONG_PHOTO_MAX_SIDE
            if image.format in ("JPEG", "MPO") and max(image.size) > side:
                # Decode a large JPEG at 1/2, 1/4 or 1/8 scale (still at least `side` px):
                # a phone that did not scale costs a fraction of the time and memory.
                ratio = side / max(image.size)
                image.draft("RGB", (round(image.width * ratio), round(image.height * ratio)))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(bomb, field, code="photo_too_many_pixels")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        _refuse(not_an_image, field)
    with contextlib.suppress(OSError, ValueError, TypeError, SyntaxError):  # unreadable EXIF: keep it as stored
        image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    content = _encode(image, JPEG_QUALITY)
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return Processed(
        content=content,
        thumbnail=_encode(thumb, THUMBNAIL_QUALITY),
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def photo_store(
    *,
    ticket,
    processed: Processed,
    uploaded_by=None,
    uploaded_via=None,
    visit=None,
    stage: str = "ticket",
    referral_id: int | None = None,
    now=None,
):
    """Store a checked photo on `ticket` through the default storage; the same picture
    already on the ticket is returned as it is (de-duplicated by its SHA-256)."""
    from django.core.files.base import ContentFile
    from django.db import IntegrityError, transaction

    from core import clock

    from .models import Photo

    existing = Photo.objects.filter(ticket=ticket, sha256=processed.sha256).first()
    if existing is not None:
        return existing
    photo = Photo(
        ticket=ticket,
        visit=visit,
        stage=stage,
        referral_id=referral_id,
        uploaded_by=uploaded_by,
        uploaded_via=uploaded_via,
        created_at=clock.now(now),
        width=processed.width,
        height=processed.height,
        size=len(processed.content),
        sha256=processed.sha256,
    )
    photo.image.save(".jpg", ContentFile(processed.content), save=False)
    photo.thumbnail.save("-thumb.jpg", ContentFile(processed.thumbnail), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:
        # Another request stored the same picture first: keep theirs, drop these files.
        photo.image.delete(save=False)
        photo.thumbnail.delete(save=False)
        return Photo.objects.get(ticket=ticket, sha256=processed.sha256)
    return photo


def photo_response(photo, *, thumbnail: bool = False):
    """The stored JPEG as a response, for a caller that has applied the visibility rule:
    private caching only, never sniffed as anything but a JPEG."""
    from django.http import FileResponse

    field = photo.thumbnail if thumbnail else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}{"-thumb" if thumbnail else ""}.jpg"'
    return response
