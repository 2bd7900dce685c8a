"""What history may be pruned, and pruning it in bounded batches (README "Operations").

Never pruned, whatever the settings say: tickets and their event log (append-only by a
trigger), feedback, photos, referrals, meetings and their events, consultation matters,
projects and their events, issued monthly reports, the personal-data access log. Nothing
here names those tables, and a test holds that.

Pruned, each past its own age (`KINDS`; days from the settings, 0 keeps for ever): partners'
Idempotency-Keys past their replay window, webhook deliveries already taken or given up
(with their attempts), staff alerts already read, residents' SMS sent or given up, successful
sign-ins (axes' access log), expired sessions. What is still live never goes: a pending
delivery, an unread alert, an SMS still to send.

Each kind is deleted in batches of `batch_size` rows, each batch its own short transaction
that claims its rows with SKIP LOCKED (`core.locks.claim`) and deletes them, oldest first
by the kind's time column (indexed: the claim is a range scan, however big the table).
So a run never holds many locks for long, and two runs at once (beat's and an operator's)
take different rows and delete every prunable row once between them. A keyset cursor keeps
each run from reading again the old rows it may not delete (unread alerts).
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from axes.models import AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from alerts.models import Notification
from api.models import IdempotencyRecord, WebhookDelivery
from core.locks import claim
from residents.models import ResidentMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """A table whose old rows may go: those matching `prunable` whose `age_field` is older
    than `keep_days()` days (0: kept for ever); without `keep_days`, `age_field` is an expiry
    date and the rows past it go."""

    name: str
    model: type[Model]
    age_field: str
    keep_days: Callable[[], int] | None
    prunable: Q = Q()


KINDS = (
    # The replay window: a partner retrying within it gets the first answer (api.idempotency).
    Kind("idempotency", IdempotencyRecord, "created_at", lambda: settings.ZHITONG_IDEMPOTENCY_KEEP_DAYS),
    Kind(
        "webhook_deliveries",
        WebhookDelivery,
        "created_at",
        lambda: settings.ZHITONG_WEBHOOK_DELIVERIES_KEEP_DAYS,
        Q(delivered_at__isnull=False) | Q(gave_up_at__isnull=False),
    ),
    Kind("alerts", Notification, "created_at", lambda: settings.ZHITONG_ALERTS_KEEP_DAYS, Q(read_at__isnull=False)),
    Kind(
        "resident_sms",
        ResidentMessage,
        "created_at",
        lambda: settings.ZHITONG_RESIDENT_SMS_KEEP_DAYS,
        Q(sent_at__isnull=False) | Q(failed_at__isnull=False),
    ),
    Kind("sign_ins", AccessLog, "attempt_time", lambda: settings.ZHITONG_SIGN_IN_LOG_KEEP_DAYS),
    # A session past its expiry date is of no use to anyone (Django's clearsessions, batched).
    Kind("sessions", Session, "expire_date", None),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)


def _cutoff(kind: Kind, now: dt.datetime) -> dt.datetime | None:
    """Rows older than this may go; None: this kind is kept for ever."""
    if kind.keep_days is None:
        return now
    days = kind.keep_days()
    return None if days == 0 else now - dt.timedelta(days=days)


def _prune_kind(kind: Kind, cutoff: dt.datetime, batch_size: int) -> int:
    age = kind.age_field
    old = kind.model.objects.filter(kind.prunable, **{f"{age}__lt": cutoff})
    deleted, after = 0, None
    while True:
        rows = old
        if after is not None:
            rows = rows.filter(Q(**{f"{age}__gt": after[0]}) | Q(**{age: after[0], "pk__gt": after[1]}))
        with transaction.atomic():
            claimed = claim(rows.only("pk", age), order_by=age, limit=batch_size)
            if claimed:
                # only("pk"): what hangs off a row (a delivery's attempts) is deleted by key,
                # without loading the rows themselves (a delivery's payload).
                batch = kind.model.objects.filter(pk__in=[row.pk for row in claimed]).only("pk")
                _total, by_model = batch.delete()
                deleted += by_model.get(kind.model._meta.label, 0)
        if len(claimed) < batch_size:
            return deleted
        after = (getattr(claimed[-1], age), claimed[-1].pk)


def history_prune(
    *, now: dt.datetime | None = None, batch_size: int | None = None, kinds: tuple[str, ...] = KIND_NAMES
) -> dict[str, int]:
    """Delete what each kind in `kinds` keeps no longer; returns rows deleted by kind.

    Safe to run at any time and beside another run: see the module's docstring."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ZHITONG_RETENTION_BATCH_SIZE
    report = {}
    for kind in KINDS:
        if kind.name not in kinds:
            continue
        cutoff = _cutoff(kind, now)
        report[kind.name] = 0 if cutoff is None else _prune_kind(kind, cutoff, batch_size)
    if any(report.values()):
        logger.info("Pruned history: %s", ", ".join(f"{name} {n}" for name, n in report.items()))
    return report
