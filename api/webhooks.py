"""Outgoing webhooks (DESIGN.md "Partner REST API (v1)"): signed POSTs on ticket events.

The ticket event log is the outbox. `webhooks_fan_out` turns each new event a subscription
may see into one `WebhookDelivery` row; `webhooks_send_due` POSTs the rows that are due and
retries failures with exponential back-off for three days. Beat runs both every few seconds
(`api.tasks.dispatch_webhooks`), so a delivery leaves shortly after its change committed and
a broker or partner outage loses nothing.

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
itself says what changed. Events go out in the order they were logged, but a retried one
arrives after those behind it: keep the ticket with the highest `version` you have seen,
not the one that arrived last.
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
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, InvalidTransition
from core.locks import claim, claim_one, lock_one_or_none
from grievances.models import TicketEvent, mask_phone
from grievances.selectors import visible_tickets
from responders.selectors import partner_scope

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
    if isinstance(event_kinds, str) or not all(isinstance(kind, str) for kind in event_kinds):
        raise InvalidInput(_("Give the event kinds as a list of names."), field="event_kinds")
    kinds = set(event_kinds)
    unknown = sorted(kinds - set(TicketEvent.Kind.values))
    if unknown:
        raise InvalidInput(_("Unknown event kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}, field="event_kinds")
    return sorted(kinds)


def latest_event_id() -> int:
    """Where a new subscription starts: it hears of events after it was made, not the past."""
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
        return WebhookSubscription.objects.create(key=key, url=url, event_kinds=kinds, last_event_id=latest_event_id())


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


def _settled_event_id() -> int:
    """An event id up to which every id is final: committed, or never will be.

    Event ids are drawn when a row is inserted but become visible when its transaction
    commits, so a later id can be visible while an earlier one is still in flight; moving
    a subscription's cursor past that earlier id would lose its event for good. On
    PostgreSQL, a transaction that is inserting events holds ROW EXCLUSIVE on the table
    from before it draws an id until it ends. So if, after reading the sequence, no other
    transaction holds that lock, every id drawn up to then is final. If some writer is busy,
    nothing is known to be settled (0), and fan-out goes only as far as the ids run without
    a gap (`_passable`). SQLite lets one writer at a time insert, in id order, so whatever
    it shows is settled.
    """
    if connection.vendor != "postgresql":
        return 2**63 - 1
    table = TicketEvent._meta.db_table
    with connection.cursor() as cursor:
        # The sequence first, then the locks: the other order could miss a writer that
        # draws an id between the two reads.
        cursor.execute(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s)::regclass)",
            [table, TicketEvent._meta.pk.column],
        )
        (drawn,) = cursor.fetchone()
        cursor.execute(
            """
            SELECT EXISTS (
                SELECT 1 FROM pg_locks
                WHERE locktype = 'relation'
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND relation = %s::regclass
                  AND mode = 'RowExclusiveLock'
                  AND pid IS DISTINCT FROM pg_backend_pid()
            )
            """,
            [table],
        )
        (writing,) = cursor.fetchone()
    return 0 if writing else drawn or 0


def _passable(events: list[TicketEvent], *, after: int, settled: int) -> list[TicketEvent]:
    """The leading events the cursor can move past for good: up to the first gap in the ids
    that may still be an uncommitted event (a gap at or below `settled` is a rolled-back id)."""
    passable = []
    previous = after
    for event in events:
        if event.pk > settled and event.pk != previous + 1:
            break
        passable.append(event)
        previous = event.pk
    return passable


def _fan_out_batch(subscription_id: int, *, settled: int, batch_size: int) -> tuple[int, bool]:
    """Queue deliveries for the next batch of one subscription's events; returns (queued, done)."""
    with transaction.atomic():
        subscription = claim_one(_live_subscriptions().select_related("key__partner"), subscription_id)
        if subscription is None:  # another worker has it, or it was switched off meanwhile
            return 0, True
        after = subscription.last_event_id
        read = list(TicketEvent.objects.filter(pk__gt=after).select_related("actor").order_by("pk")[:batch_size])
        events = _passable(read, after=after, settled=settled)
        if not events:
            return 0, True

        key = subscription.key
        wanted = [e for e in events if not subscription.event_kinds or e.kind in subscription.event_kinds]
        # The one visibility rule decides, as for GET: tickets in the key's streets only.
        scope = partner_scope(key.streets.values_list("pk", flat=True))
        tickets = (
            visible_tickets(scope).filter(pk__in={e.ticket_id for e in wanted}).select_related("category", "owner")
        )
        context = {"pii": key.has_scope(Scope.PII_READ)}
        ticket_data = {ticket.pk: TicketSerializer(ticket, context=context).data for ticket in tickets}

        now = timezone.now()
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
        # The unique (subscription, event) pair makes a repeated fan-out a no-op.
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        # Past every event read, kept or not, so the next run does not read them again.
        subscription.last_event_id = events[-1].pk
        subscription.save(update_fields=["last_event_id"])
    return len(deliveries), len(events) < batch_size


def webhooks_fan_out(*, batch_size: int = 500) -> int:
    """Queue a delivery for each new ticket event that each live subscription may see.

    Each subscription moves in batches, each batch its own short transaction with the
    subscription row locked (skip_locked), so two workers never fan out the same one.
    Returns the number of deliveries queued.
    """
    settled = _settled_event_id()
    queued = 0
    subscriptions = _live_subscriptions().select_related("key")
    for subscription_id in [s.pk for s in subscriptions if s.key.has_scope(Scope.TICKETS_READ)]:
        done = False
        while not done:
            count, done = _fan_out_batch(subscription_id, settled=settled, batch_size=batch_size)
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


# HTTP and HTTPS only, and no redirects: following one would turn the POST into a GET
# (301-303) or send a partner's data to an address nobody subscribed, so a 3xx is a failure.
def _build_opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


_opener = _build_opener()


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
