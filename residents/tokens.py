"""The resident's link: an unguessable key per ticket and phone, nothing stored.

The key is an HMAC (Django's `salted_hmac`, keyed by SECRET_KEY) of the ticket's id and the
resident's phone (the first reporter's, or of one who reported the same problem since), 96 bits
in URL-safe base64: it cannot be guessed from the reference, and a changed or erased phone ends
it. It is valid while the ticket is open and for ZHITONG_RESIDENT_LINK_DAYS after it is closed
or cancelled. Rotating SECRET_KEY ends every link already sent.
"""

import base64
import datetime as dt
import hmac
import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

from core.enums import Status
from grievances.models import Ticket

SALT = "zhitong.residents.page"
KEY_LENGTH = 16


def mobile_number(raw: str) -> str | None:
    """The mainland mobile number in `raw` (11 digits from 1, any +86/0086/86 and spaces
    or dashes dropped); None for a landline or anything else, which no SMS reaches."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    digits = re.sub(r"^(\+86|0086|86)(?=1\d{10}$)", "", digits)
    return digits if re.fullmatch(r"1\d{10}", digits) else None


def resident_phone(ticket: Ticket) -> str | None:
    """The first reporter's mobile number (None for none)."""
    return mobile_number(ticket.reporter_phone)


def joined_phones(ticket: Ticket) -> list[str]:
    """The mobile numbers of those who reported the same problem since ("also reported by",
    grievances.TicketReporter), in the order they joined, without the first reporter's."""
    first = resident_phone(ticket)
    phones = []
    for raw in ticket.reporters.order_by("created_at", "pk").values_list("phone", flat=True):
        phone = mobile_number(raw)
        if phone and phone != first and phone not in phones:
            phones.append(phone)
    return phones


def phone_for_key(ticket: Ticket, key: str) -> str | None:
    """Whose link `key` is: the first reporter's phone (no query), else one who joined."""
    first = resident_phone(ticket)
    if first is not None and hmac.compare_digest(page_key(ticket.pk, first), key):
        return first
    for phone in joined_phones(ticket):
        if hmac.compare_digest(page_key(ticket.pk, phone), key):
            return phone
    return None


def page_key(ticket_pk: int, phone: str) -> str:
    digest = salted_hmac(SALT, f"{ticket_pk}:{phone}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:KEY_LENGTH]


def page_path(ticket: Ticket, phone: str) -> str:
    return reverse("resident_page", kwargs={"pk": ticket.pk, "key": page_key(ticket.pk, phone)})


def page_link(ticket: Ticket, phone: str) -> str:
    return settings.ZHITONG_PUBLIC_URL + page_path(ticket, phone)


def key_matches(ticket: Ticket, key: str) -> bool:
    return phone_for_key(ticket, key) is not None


def link_valid(ticket: Ticket, now: dt.datetime) -> bool:
    """Open, or closed/cancelled less than ZHITONG_RESIDENT_LINK_DAYS ago."""
    ended = ticket.closed_at if ticket.status == Status.CLOSED else None
    if ticket.status == Status.CANCELLED:
        ended = ticket.updated_at
    return ended is None or now < ended + dt.timedelta(days=settings.ZHITONG_RESIDENT_LINK_DAYS)
