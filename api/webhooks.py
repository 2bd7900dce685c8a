"""Outgoing webhooks (DESIGN.md "Partner REST API (v1)"): signed POSTs on ticket events.

The work comes from an outbox written with the events. `append_events`
(escalation/transitions/base.py), the one writer of ticket events, inserts a
`grievances.EventOutbox` row for each event in the same transaction, so a row exists
exactly when its event committed: one rolled back (a refused meeting decision, a failed
sweep batch) leaves neither, and nothing waits on the gap its id leaves. The table sits
in grievances because escalation may write there but must not import api.
`webhooks_fan_out` claims committed rows (skip_locked), turns each event into one
`WebhookDelivery` per live subscription that wants it and may see its ticket, and deletes
the rows, all in one transaction; rows nobody wants are deleted too, so the table holds
only what the next run will take. `webhooks_send_due` POSTs the deliveries that are due and
retries failures with exponential back-off for three days. Beat runs both every few
seconds (`api.tasks.dispatch_webhooks`), so a delivery leaves shortly after its change
committed and a broker or partner outage loses nothing.

What a partner receives, and how to check it (see `verify_signature`):

    POST <url>
    Content-Type: application/json
    X-Zhitong-Event-Id: <uuid, the same on every retry: de-duplicate on it>
    X-Zhitong-Event: ticket.<kind>
    X-Zhitong-Timestamp: <unix seconds>
    X-Zhitong-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

    {"id": "<event id>", "type": "ticket.<kind>", "created_at": "<when it happened>",
     "data": {"event": <as in the ticket's timeline>, "ticket": <as GET tickets/{id}/ shows it>}}

The ticket is shown as it stands when the event is fanned out (a few seconds after it
happened), with the reporter's phone masked unless the key has `pii:read`; the event
itself says what changed. One ticket's events commit one at a time (its row lock), so
they are queued in the order they happened; events of different tickets roughly in the
order they committed. A retried one arrives after those behind it: keep the ticket with
the highest `version` you have seen, not the one that arrived last.
"""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, InvalidTransition
from core.locks import claim, lock_one_or_none
from grievances.models import EventOutbox, TicketEvent, mask_phone
from grievances.selectors import visible_tickets
from responders.selectors import partner_scope

from . import outbound
from .models import PartnerKey, Scope, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .serializers import EventSerializer, TicketSerializer

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
RETRY_FOR = dt.timedelta(days=3)
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=6)
# How much of a partner's error answer the admin shows.
ERROR_BODY_CHARS = 500


# --- subscribing ---------------------------------------------------------------------------


def webhook_validate(*, key: PartnerKey | None, url: str, event_kinds: Iterable[str]) -> list[str]:
    """Check a subscription's fields (the service and the admin both use it); returns the
    kinds, de-duplicated and sorted. Raises InvalidInput naming the field at fault.
    `key` None: the key is not being chosen now (an existing subscription's)."""
    # Webhooks carry what GET tickets/ shows, so they need the same scope.
    if key is not None and not (key.is_active and key.has_scope(Scope.TICKETS_READ)):
        raise InvalidInput(_("Webhooks need an active key with the tickets:read scope."), field="key")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidInput(_("Give an http:// or https:// URL."), field="url") from None
    if len(url) > WebhookSubscription._meta.get_field("url").max_length:
        raise InvalidInput(_("The URL is too long."), field="url")
    outbound.check_url(url)
    if isinstance(event_kinds, str) or not all(isinstance(kind, str) for kind in event_kinds):
        raise InvalidInput(_("Give the event kinds as a list of names."), field="event_kinds")
    kinds = set(event_kinds)
    unknown = sorted(kinds - set(TicketEvent.Kind.values))
    if unknown:
        raise InvalidInput(_("Unknown event kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}, field="event_kinds")
    return sorted(kinds)


def latest_event_id() -> int:
    """Where a new subscription starts: it hears of events after it was made, not the past.
    (An event in a transaction still open then, with a smaller id, counts as the past.)"""
    return TicketEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def webhook_subscribe(*, key: PartnerKey, url: str, event_kinds: Iterable[str] = ()) -> WebhookSubscription:
    """Subscribe `url` to the key's ticket events of `event_kinds` (none given: every kind)."""
    kinds = webhook_validate(key=key, url=url, event_kinds=event_kinds)
    with transaction.atomic():
        # The key's row lock makes a retried request find the first one's subscription.
        lock_one_or_none(PartnerKey.objects, key.pk)
        existing = WebhookSubscription.objects.filter(key=key, url=url, active=True).first()
        if existing is not None:
            raise InvalidTransition(
                _("This key already sends to this URL (subscription %(id)s).") % {"id": existing.pk},
                code="already_subscribed",
            )
        return WebhookSubscription.objects.create(
            key=key, url=url, event_kinds=kinds, starts_after_event_id=latest_event_id()
        )


def webhook_unsubscribe(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """Stop sending to a subscription. It is switched off, not deleted, so its deliveries
    and their attempts stay on record; what was still pending waits unsent."""
    if subscription.active:
        subscription.active = False
        subscription.save(update_fields=["active"])
    return subscription


# --- fan-out: events to deliveries -------------------------------------------------------


def _live_subscriptions():
    return WebhookSubscription.objects.filter(active=True, key__revoked_at__isnull=True, key__partner__active=True)


def _deliveries(subscription: WebhookSubscription, events: list[TicketEvent], now: dt.datetime):
    """The deliveries of `events` (in id order) that `subscription` wants and may see."""
    key = subscription.key
    wanted = [
        event
        for event in events
        if event.pk > subscription.starts_after_event_id
        and (not subscription.event_kinds or event.kind in subscription.event_kinds)
    ]
    if not wanted:
        return []
    # The one visibility rule decides, as for GET: tickets in the key's streets only.
    scope = partner_scope(key.streets.values_list("pk", flat=True))
    tickets = (
        visible_tickets(scope)
        .filter(pk__in={e.ticket_id for e in wanted})
        .select_related("category", "owner")
        .prefetch_related("photos")
    )
    context = {"pii": key.has_scope(Scope.PII_READ)}
    ticket_data = {ticket.pk: TicketSerializer(ticket, context=context).data for ticket in tickets}

    deliveries = []
    for event in wanted:
        if event.ticket_id not in ticket_data:
            continue
        event_id = uuid.uuid4()
        event_data = EventSerializer(event).data
        payload = {
            "id": str(event_id),
            "type": f"ticket.{event.kind}",
            "created_at": event_data["at"],
            "data": {"event": event_data, "ticket": ticket_data[event.ticket_id]},
        }
        deliveries.append(
            WebhookDelivery(
                subscription=subscription, event=event, event_uuid=event_id, payload=payload, next_attempt_at=now
            )
        )
    return deliveries


def _fan_out_batch(batch_size: int) -> tuple[int, bool]:
    """Queue the deliveries of the next batch of outbox rows and delete the rows, in one
    transaction; returns (queued, done)."""
    with transaction.atomic():
        # Committed rows only (the others are invisible), none another worker holds.
        claimed = claim(EventOutbox.objects.all(), order_by="event_id", limit=batch_size)
        if not claimed:
            return 0, True
        ids = [row.event_id for row in claimed]
        subscriptions = [
            subscription
            for subscription in _live_subscriptions().select_related("key").order_by("pk")
            if subscription.key.has_scope(Scope.TICKETS_READ) and subscription.starts_after_event_id < ids[-1]
        ]
        deliveries = []
        if subscriptions:  # nobody listening: the rows are simply dropped
            events = list(TicketEvent.objects.filter(pk__in=ids).select_related("actor").order_by("pk"))
            now = timezone.now()
            for subscription in subscriptions:
                deliveries += _deliveries(subscription, events, now)
            # The unique (subscription, event) pair makes a repeated fan-out a no-op.
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        EventOutbox.objects.filter(pk__in=ids).delete()
    return len(deliveries), len(claimed) < batch_size


def webhooks_fan_out(*, batch_size: int = 500) -> int:
    """Queue a delivery for each new ticket event that each live subscription may see.

    Works through the committed outbox rows in batches, each its own short transaction
    that claims its rows (skip_locked, so two workers never take the same row), queues the
    deliveries and deletes the rows. An event still in an open transaction is not seen,
    and holds nothing up; it is fanned out by a later run once it commits. A subscription
    gets the events after the one that was latest when it was made, if it is live when
    they are fanned out. Returns the number of deliveries queued.
    """
    queued = 0
    done = False
    while not done:
        count, done = _fan_out_batch(batch_size)
        queued += count
    return queued


# --- sending -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, header: str, *, tolerance_seconds: int | None = 300
) -> bool:
    """Whether a webhook request is genuine: copy this into the receiving end.

    `secret` is the subscription's signing secret; `timestamp` the X-Zhitong-Timestamp
    header; `body` the raw request body, byte for byte as received (parsing and re-encoding
    the JSON would change it); `header` the X-Zhitong-Signature header,
    `t=<timestamp>,v1=<signature>`, where the signature is the hex HMAC-SHA256, keyed with
    the secret, of the timestamp, a full stop and the body. A timestamp more than
    `tolerance_seconds` away from the receiver's clock is refused, so a captured request
    cannot be replayed later (None turns the check off). Retries are signed afresh; the
    X-Zhitong-Event-Id header stays the same, so drop an id already processed.
    """
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if parts.get("t") != timestamp or "v1" not in parts:
        return False
    if tolerance_seconds is not None:
        try:
            if abs(time.time() - int(timestamp)) > tolerance_seconds:
                return False
        except ValueError:
            return False
    # As bytes: compare_digest refuses a str with characters beyond ASCII (a forged header).
    return hmac.compare_digest(parts["v1"].encode(), sign(secret, timestamp, body).encode())


_opener = outbound.build_opener()


def _as_sent(delivery: WebhookDelivery) -> dict:
    """The payload as the key may see it now: a key that has lost pii:read since the event
    was queued gets the reporter's phone masked, as GET would show it."""
    payload = delivery.payload
    reporter = payload.get("data", {}).get("ticket", {}).get("reporter")
    if not reporter or not reporter.get("phone") or delivery.subscription.key.has_scope(Scope.PII_READ):
        return payload
    ticket = {**payload["data"]["ticket"], "reporter": {**reporter, "phone": mask_phone(reporter["phone"])}}
    return {**payload, "data": {**payload["data"], "ticket": ticket}}


def _out_of_scope(deliveries: list[WebhookDelivery]) -> set[int]:
    """The deliveries whose key can no longer read their ticket: tickets:read or the
    ticket's street taken from it since the event was queued (the visibility rule, as GET)."""
    by_key: dict[int, list[WebhookDelivery]] = {}
    for delivery in deliveries:
        by_key.setdefault(delivery.subscription.key_id, []).append(delivery)
    refused = set()
    for group in by_key.values():
        key = group[0].subscription.key
        readable = set()
        if key.has_scope(Scope.TICKETS_READ):
            scope = partner_scope(key.streets.values_list("pk", flat=True))
            wanted = {delivery.event.ticket_id for delivery in group}
            readable = set(visible_tickets(scope).filter(pk__in=wanted).values_list("pk", flat=True))
        refused |= {delivery.pk for delivery in group if delivery.event.ticket_id not in readable}
    return refused


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """One signed POST; returns (HTTP status or None, error text)."""
    body = json.dumps(_as_sent(delivery), ensure_ascii=False, separators=(",", ":")).encode()
    # The partner's clock, not the batch's `now`, judges freshness: sign with the real time.
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Zhitong-Webhooks/1",
            "X-Zhitong-Event-Id": str(delivery.event_uuid),
            "X-Zhitong-Event": delivery.payload["type"],
            "X-Zhitong-Timestamp": timestamp,
            "X-Zhitong-Signature": f"t={timestamp},v1={sign(delivery.subscription.secret, timestamp, body)}",
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        answer = exc.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        return exc.code, f"HTTP {exc.code} {exc.reason}: {answer}".strip()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Refused, reset, timed out, unresolvable, a malformed answer or URL: all failures.
        return None, f"{type(exc).__name__}: {exc}"


def _retry_at(delivery: WebhookDelivery, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `delivery.attempts` failures: 30 s, doubling, at most 6 h
    apart, the last try exactly three days after the event was queued; None: give up."""
    deadline = delivery.created_at + RETRY_FOR
    if now >= deadline:
        return None
    wait = min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_WAIT)
    return min(now + wait, deadline)


def _record(delivery_id: int, *, now: dt.datetime, status: int | None, error: str, duration_ms: int) -> None:
    with transaction.atomic():
        delivery = lock_one_or_none(WebhookDelivery.objects, delivery_id)
        if delivery is None:  # its subscription was deleted meanwhile, and the delivery with it
            return
        WebhookAttempt.objects.create(delivery=delivery, status_code=status, error=error, duration_ms=duration_ms)
        if delivery.delivered_at or delivery.gave_up_at:
            # Our lease ran out and another worker settled it meanwhile: keep its verdict.
            return
        delivery.attempts += 1
        delivery.last_status_code = status
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.delivered_at, delivery.next_attempt_at = now, None
        else:
            delivery.next_attempt_at = _retry_at(delivery, now)
            if delivery.next_attempt_at is None:
                delivery.gave_up_at = now
                logger.warning(
                    "Webhook %s to subscription %s given up after %s attempts",
                    delivery.event_uuid,
                    delivery.subscription_id,
                    delivery.attempts,
                )
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "delivered_at",
                "next_attempt_at",
                "gave_up_at",
            ]
        )


def webhooks_send_due(*, now: dt.datetime | None = None, batch_size: int = 100) -> int:
    """POST each due delivery once; returns the number of attempts made.

    `now` is the clock of the whole batch (what is due, back-off, giving up), so tests and
    operators can drive time. A slow partner must not hold row locks, so no transaction is
    open during a POST: a short transaction claims the batch (skip_locked, so two workers
    never take the same row) and leases it by moving next_attempt_at past the time the
    batch should take (the timeout for every POST, and a minute); each POST's outcome is
    then recorded in a short transaction of its own. A worker that dies mid-batch leaves
    the rest to be retried when the lease ends. A delivery whose subscription is switched
    off, or whose key is revoked, waits unsent; one whose ticket the key can no longer read
    is given up unsent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = claim(
            WebhookDelivery.objects.select_related("subscription__key", "event").filter(
                delivered_at__isnull=True,
                gave_up_at__isnull=True,
                next_attempt_at__lte=now,
                subscription__active=True,
                subscription__key__revoked_at__isnull=True,
                subscription__key__partner__active=True,
            ),
            order_by="next_attempt_at",
            limit=batch_size,
        )
        refused = _out_of_scope(due)
        if refused:
            WebhookDelivery.objects.filter(pk__in=refused).update(
                gave_up_at=now, next_attempt_at=None, last_error=_("The key can no longer read this ticket.")
            )
            due = [delivery for delivery in due if delivery.pk not in refused]
        lease = dt.timedelta(seconds=TIMEOUT_SECONDS * len(due) + 60)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=now + lease)
    for delivery in due:
        started = time.monotonic()
        status, error = _post(delivery)
        duration_ms = round((time.monotonic() - started) * 1000)
        _record(delivery.pk, now=now, status=status, error=error, duration_ms=duration_ms)
    return len(due)
