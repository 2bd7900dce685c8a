"""Adding photos to a ticket: the policy's question (escalation.policy.may_add_photo) asked
once, then each file checked and stored by grievances.photos. Every file is checked before
any is stored, so a refused file leaves the ticket as it was."""

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from grievances.models import Photo, Ticket
from grievances.photos import photo_store, process, read_upload

from .models import Referral
from .policy import Right, may, require


def photos_add(
    *, ticket, actor, files, field: str = "photos", stage: str = "ticket", visit=None, referral_id=None, now=None
):
    """Add the uploaded `files` (Django UploadedFile objects) to `ticket` as `actor` (a staff
    account); returns the stored Photo rows in the order given."""
    require(actor, Right.ADD_PHOTO, ticket, message=_("You may not add photos to this ticket."), field=field)
    if referral_id is None and getattr(actor, "department_id", None):
        # A department's liaison adds photos to its answer: marked with its latest referral.
        referral = (
            Referral.objects.filter(ticket=ticket, department_id=actor.department_id)
            .order_by("-created_at", "-pk")
            .first()
        )
        if referral is not None:
            stage, referral_id = Photo.Stage.ANSWER, referral.pk
    return store_checked(
        ticket=ticket,
        datas=[read_upload(upload, field) for upload in _bounded(files, field)],
        field=field,
        uploaded_by=actor,
        stage=stage,
        visit=visit,
        referral_id=referral_id,
        now=now,
    )


def _bounded(items, field):
    items = list(items)
    if len(items) > settings.ZHITONG_PHOTOS_PER_UPLOAD:
        raise InvalidInput(
            _("At most %(count)d photos at a time.") % {"count": settings.ZHITONG_PHOTOS_PER_UPLOAD},
            field=field,
            code="too_many_photos",
        )
    return items


def check_all(datas, field: str = "photos"):
    """Check every file (bytes) before anything is stored: the processed photos, in order."""
    return [process(data, field=field) for data in _bounded(datas, field)]


def store_checked(
    *,
    ticket,
    datas=None,
    processed=None,
    field="photos",
    uploaded_by=None,
    uploaded_via=None,
    stage="ticket",
    visit=None,
    referral_id=None,
    now=None,
):
    """Store photos given as bytes (`datas`, checked here) or already checked (`processed`,
    from check_all): what the API uses, whose key's scope the API has checked."""
    if processed is None:
        processed = check_all(datas, field)
    return [
        photo_store(
            ticket=ticket,
            processed=item,
            uploaded_by=uploaded_by,
            uploaded_via=uploaded_via,
            visit=visit,
            stage=stage,
            referral_id=referral_id,
            now=now,
        )
        for item in processed
    ]


def visit_photos_add(*, visit, actor, processed, now=None):
    """A visit's photos (checked with check_all before the visit was logged), kept with each
    ticket the visit raised that the visitor may add photos to; returns how many were kept."""
    kept = 0
    joined = Ticket.objects.filter(reporters__visit=visit)  # matters that joined an open ticket
    for ticket in (visit.tickets.all() | joined).distinct().order_by("pk"):
        if may(actor, Right.ADD_PHOTO, ticket):
            kept += len(
                store_checked(
                    ticket=ticket, processed=processed, uploaded_by=actor, stage=Photo.Stage.VISIT, visit=visit, now=now
                )
            )
    return kept
