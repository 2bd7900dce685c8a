"""Residents in the loop: what they hear from us, their opt-out, and their verdict."""

import contextlib
import contextvars
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from alerts import sms
from alerts.models import Notification
from alerts.services import alerts_create
from core import clock
from core.enums import Outcome, Status
from core.errors import InvalidInput, InvalidTransition
from core.locks import claim, claim_one, lock_one
from core.redis_pause import BROKER
from escalation.transitions import ticket_record_feedback, ticket_reopen
from grievances.models import Feedback, Ticket, TicketEvent, TicketReporter, mask_phone
from responders.models import PartnerSystem

from . import texts, tokens
from .models import ResidentMessage, SmsOptOut

logger = logging.getLogger(__name__)

RESIDENT = texts.RESIDENT
# Which events a resident hears about, and as which message.
ANNOUNCED = {
    TicketEvent.Kind.CREATED: "received",
    TicketEvent.Kind.ESCALATED: "moved",
    TicketEvent.Kind.REFERRED: "moved",
    TicketEvent.Kind.RESOLVED: "resolved",
    # One who reported the same problem joined the ticket: they hear its reference and link.
    TicketEvent.Kind.ALSO_REPORTED: "received",
}
# A worker has this long to hand a message to the provider before another may try.
LEASE = dt.timedelta(minutes=2)
# Tries before a message is given up; the wait after the n-th failed try is 2**n minutes.
MAX_ATTEMPTS = 8

_suppressed = contextvars.ContextVar("residents_sms_suppressed", default=False)


@contextlib.contextmanager
def no_resident_messages():
    """Write no SMS for what happens inside (a simulated demo month: its residents are not real)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


# -- quiet hours ------------------------------------------------------------------------


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours `now` falls in (ZHITONG_SMS_QUIET_HOURS, Shanghai time), or None."""
    window = settings.ZHITONG_SMS_QUIET_HOURS
    if not window:
        return None
    start, end = (dt.time.fromisoformat(part) for part in window.split("-"))
    local = now.astimezone(clock.SHANGHAI)
    moment = local.time()
    wraps = start > end
    quiet = (moment >= start or moment < end) if wraps else (start <= moment < end)
    if not quiet:
        return None
    day = local.date() + dt.timedelta(days=1) if wraps and moment >= start else local.date()
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


# -- writing messages (in the transaction of the change) ---------------------------------


def _params(kind: str, ticket: Ticket, phone: str, event: TicketEvent | None) -> tuple[str, dict[str, str]]:
    params = {"ref": ticket.reference}
    if kind == "moved":
        params["unit"] = texts.unit_words(event)
    if kind == "resolved" and event.data.get("outcome") == Outcome.EXPLAINED:
        kind = "explained"
        params["reason"] = texts.shorten(event.note)
    if kind == "reminder":
        params["date"] = texts.plain_date(ticket.feedback_due_by)
    params["link"] = tokens.page_link(ticket, phone)
    return kind, params


def _informed_by_partner(tickets: list[Ticket], extra=()) -> set[int]:
    partners = {ticket.partner_id for ticket in tickets if ticket.partner_id} | {p for p in extra if p}
    if not partners:
        return set()
    return set(PartnerSystem.objects.filter(pk__in=partners, informs_residents=True).values_list("pk", flat=True))


def _opted_out(phones) -> set[str]:
    return set(SmsOptOut.objects.filter(phone__in=set(phones)).values_list("phone", flat=True))


def messages_for_events(events: list[TicketEvent]) -> list[ResidentMessage]:
    """Write the SMS these events owe residents, in the events' transaction (an outbox), and
    queue them for after the commit. Registered with escalation.transitions.listen_to_events.

    Every reporter of the ticket hears it: the first, and those who reported the same problem
    since ("also reported by", grievances.TicketReporter), each with their own link; one who
    joins hears the ticket's reference. A reporter with no mobile number, whose partner
    informs the resident itself (PartnerSystem.informs_residents), or whose phone opted out
    gets nothing."""
    if _suppressed.get():
        return []
    wanted: dict[tuple[int, str], TicketEvent] = {}
    for event in events:
        kind = ANNOUNCED.get(event.kind)
        if kind:
            key = (event.ticket_id, kind, id(event) if event.kind == TicketEvent.Kind.ALSO_REPORTED else 0)
            wanted.setdefault(key, event)
    if not wanted:
        return []
    recipients = _recipients(list(wanted.values()))
    rows = []
    for (_ticket_id, kind, _event_id), event in wanted.items():
        for phone in recipients.get(id(event), ()):
            rows.append(_message(event.ticket, phone, kind, event, event.at))
    return _write_and_queue(rows)


@dataclass(frozen=True, eq=False)
class _FakeEvent:
    """A ticket's reminder asks who hears of it as its resolution did (every reporter)."""

    ticket: Ticket
    kind: str = TicketEvent.Kind.RESOLVED

    @property
    def ticket_id(self) -> int:
        return self.ticket.pk


def _recipients(events: list[TicketEvent]) -> dict[int, list[str]]:
    """id(event) → the mobile numbers that hear of it: the ticket's first reporter (unless
    their partner informs them) and those who joined it; for a joining, only those who
    joined in it. At most three queries (those who joined, the partners' flags, the opt-outs),
    each only when needed."""
    joined = defaultdict(list)  # ticket id -> [(reporter id, phone, partner id)]
    # A ticket just opened has no one joined yet: no query for those.
    later = {event.ticket_id for event in events if event.kind != TicketEvent.Kind.CREATED}
    if later:  # (not even a query built for none: that was a twentieth of an API create's time)
        rows = TicketReporter.objects.filter(ticket_id__in=later).order_by("created_at", "pk")
        for row in rows.values_list("ticket_id", "pk", "phone", "partner_id"):
            joined[row[0]].append(row[1:])
    reachable = {}  # id(event) -> [(mobile number, partner id)]
    for event in events:
        ticket = event.ticket
        if event.kind == TicketEvent.Kind.ALSO_REPORTED:
            new = set(event.data.get("reporters") or [])
            candidates = [(phone, partner) for pk, phone, partner in joined[ticket.pk] if pk in new]
        else:
            candidates = [(ticket.reporter_phone, ticket.partner_id)]
            candidates += [(phone, partner) for _pk, phone, partner in joined[ticket.pk]]
        reachable[id(event)] = [(tokens.mobile_number(raw), partner) for raw, partner in candidates]
    # Only where someone can be reached: the partners' flags, then the opt-outs.
    partners = {partner for pairs in reachable.values() for phone, partner in pairs if phone and partner}
    informed = _informed_by_partner([], extra=partners) if partners else set()
    by_event = {}
    for key, pairs in reachable.items():
        phones = []
        for phone, partner in pairs:
            if phone and partner not in informed and phone not in phones:
                phones.append(phone)
        by_event[key] = phones
    wanted = {phone for phones in by_event.values() for phone in phones}
    quiet = _opted_out(wanted) if wanted else set()
    return {pk: [phone for phone in phones if phone not in quiet] for pk, phones in by_event.items()}


def _message(ticket, phone, kind, event, now, dedupe_key=None) -> ResidentMessage:
    kind, params = _params(kind, ticket, phone, event)
    return ResidentMessage(
        ticket=ticket,
        phone=phone,
        kind=kind,
        text=texts.sms_text(kind, params),
        params=params,
        created_at=now,
        send_after=quiet_until(now) or now,
        dedupe_key=dedupe_key,
    )


def _write_and_queue(rows: list[ResidentMessage]) -> list[ResidentMessage]:
    if not rows:
        return []
    rows = ResidentMessage.objects.bulk_create(rows)
    due = [row.pk for row in rows if row.send_after <= row.created_at]
    if due:
        transaction.on_commit(lambda: _queue_after_commit(due), robust=True)
    return rows


def _queue_after_commit(ids: list[int]) -> None:
    """Hand the committed messages to the task; a broker that does not answer is logged, and
    beat's `send_due_resident_messages` sends them within a minute. Skipped while the broker
    is paused after a failure (`core.redis_pause.BROKER`)."""
    if not BROKER.answering():
        return
    from .tasks import send_resident_messages

    try:
        send_resident_messages.delay(ids)
    except KombuOperationalError as error:
        BROKER.failed()
        logger.warning("Could not queue %s resident SMS, beat will (broker: %s)", len(ids), error)


def reminders_create(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The verdict reminder, once per resolution: resolved tickets past half their feedback
    window with no resident verdict yet. `dedupe_key` makes a second run write nothing."""
    now = clock.now(now)
    if _suppressed.get():
        return 0
    halfway = ExpressionWrapper(
        F("resolved_at") + (F("feedback_due_by") - F("resolved_at")) / 2, output_field=DateTimeField()
    )
    reminded = ResidentMessage.objects.filter(
        ticket=OuterRef("pk"), kind=ResidentMessage.Kind.REMINDER, created_at__gte=OuterRef("resolved_at")
    )
    answered = Feedback.objects.filter(ticket=OuterRef("pk"), created_at__gte=OuterRef("resolved_at"))
    tickets = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__isnull=False, feedback_due_by__gt=now)
        .exclude(Q(reporter_phone="") & ~Exists(TicketReporter.objects.filter(ticket=OuterRef("pk")).exclude(phone="")))
        .alias(halfway=halfway)
        .filter(halfway__lte=now)
        .filter(~Exists(reminded), ~Exists(answered))
        .order_by("pk")[:limit]
    )
    # Every reporter: the first (their key as before) and those who joined (keyed by phone).
    resolved = [_FakeEvent(ticket) for ticket in tickets]
    recipients = _recipients(resolved)
    rows = [
        _message(
            fake.ticket,
            phone,
            "reminder",
            None,
            now,
            dedupe_key=f"reminder:{fake.ticket.pk}:{fake.ticket.resolved_at.isoformat()}"
            + ("" if phone == tokens.resident_phone(fake.ticket) else f":{phone}"),
        )
        for fake in resolved
        for phone in recipients.get(id(fake), ())
    ]
    with transaction.atomic():
        created = ResidentMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


# -- sending (after the commit) ------------------------------------------------------------


def _answered_already(message: ResidentMessage) -> bool:
    """The resident's verdict was taken since the message was written (a matter settled at
    the door, verdict and all, in the same moment): they know already."""
    return Feedback.objects.filter(ticket_id=message.ticket_id, created_at__gte=message.created_at).exists()


def _lease(pk: int, now: dt.datetime) -> ResidentMessage | None:
    with transaction.atomic():
        message = claim_one(ResidentMessage.objects.filter(sent_at__isnull=True, failed_at__isnull=True), pk)
        if message is None or message.send_after > now or (message.claimed_until and message.claimed_until > now):
            return None
        reason = ""
        if SmsOptOut.objects.filter(phone=message.phone).exists():
            reason = "opted out"
        elif _answered_already(message):
            reason = "answered already"
        if reason:
            message.failed_at, message.error = now, reason
            message.save(update_fields=["failed_at", "error"])
            return None
        held = quiet_until(now)
        if held:
            message.send_after = held
            message.save(update_fields=["send_after"])
            return None
        message.claimed_until = now + LEASE
        message.attempts += 1
        message.save(update_fields=["claimed_until", "attempts"])
        return message


def messages_send(ids: list[int], *, now: dt.datetime | None = None) -> int:
    """Send the messages that are due; returns how many went. A refused one is given up at
    once, a throttled or failed one waits 2**attempts minutes (beat tries again), and after
    MAX_ATTEMPTS it is given up. Numbers are masked in every log line."""
    now = clock.now(now)
    sent = 0
    for pk in ids:
        message = _lease(pk, now)
        if message is None:
            continue
        fields = ["claimed_until"]
        message.claimed_until = None
        try:
            sms.send(sms.Sms(to=message.phone, text=message.text, kind=message.kind, params=message.params))
        except sms.SmsRejected as error:
            message.failed_at, message.error = now, str(error)[:200]
            fields += ["failed_at", "error"]
            logger.warning("SMS %s to %s refused: %s", message.pk, mask_phone(message.phone), error.code)
        except Exception as error:  # noqa: BLE001 - a provider's or the network's failure: try later
            message.error = str(error)[:200]
            message.send_after = now + dt.timedelta(minutes=2**message.attempts)
            fields += ["error", "send_after"]
            if message.attempts >= MAX_ATTEMPTS:
                message.failed_at = now
                fields.append("failed_at")
            logger.warning(
                "SMS %s to %s not sent (try %s): %s", message.pk, mask_phone(message.phone), message.attempts, error
            )
        else:
            message.sent_at = now
            fields.append("sent_at")
            sent += 1
        ResidentMessage.objects.filter(pk=message.pk).update(**{name: getattr(message, name) for name in fields})
    return sent


def messages_send_due(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """What beat runs every minute: write the reminders due, then send every message whose
    time has come (held by quiet hours, waiting after a failure, or never queued)."""
    now = clock.now(now)
    reminders_create(now=now)
    with transaction.atomic():
        due = [
            message.pk
            for message in claim(
                ResidentMessage.objects.filter(sent_at__isnull=True, failed_at__isnull=True, send_after__lte=now),
                order_by="send_after",
                limit=batch,
            )
        ]
    return messages_send(due, now=now)


# -- opting out ------------------------------------------------------------------------------

STOP_WORDS = {"TD", "T", "N", "0000", "STOP", "UNSUBSCRIBE", "退订", "取消"}


def sms_opt_out(*, phone: str, via: str, now: dt.datetime | None = None) -> SmsOptOut | None:
    """Record that this phone wants no more SMS (once; asking again changes nothing).
    None if `phone` is not a mobile number."""
    number = tokens.mobile_number(phone)
    if number is None:
        return None
    opt_out, created = SmsOptOut.objects.get_or_create(phone=number, defaults={"via": via, "at": clock.now(now)})
    if created:
        logger.info("SMS opt-out of %s (%s)", mask_phone(number), via)
    return opt_out


def sms_reply_received(*, phone: str, text: str, now: dt.datetime | None = None) -> bool:
    """An SMS a resident sent back: a stop word opts the phone out. True if it did."""
    if (text or "").strip().upper() in STOP_WORDS:
        return sms_opt_out(phone=phone, via=SmsOptOut.Via.REPLY, now=now) is not None
    return False


def opted_out(phone: str) -> bool:
    return SmsOptOut.objects.filter(phone=phone).exists()


# -- the resident's verdict ----------------------------------------------------------------


@dataclass
class Verdict:
    feedback: Feedback
    reopened: bool = False
    flagged: bool = False


def verdict_open(ticket: Ticket) -> bool:
    """A resident may give a verdict on a resolved ticket, or a closed one they have not
    judged since it was resolved."""
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.resolved_at is None:
        return False
    return not Feedback.objects.filter(
        ticket=ticket, collected_via=Feedback.Via.RESIDENT, created_at__gte=ticket.resolved_at
    ).exists()


def resident_verdict(
    *, ticket: Ticket, satisfaction: str, comment: str = "", now: dt.datetime | None = None
) -> Verdict:
    """The resident's own verdict from their page, recorded as Feedback "by the resident".

    Dissatisfied (a reason is required): the first time, within the reopen window, the
    ticket is reopened at the resident's word through the state machine, and its owner and
    the committee's responsible street leader are alerted; a later dissatisfied verdict is
    recorded and flagged to both (an alert), and the ticket stays as it is."""
    now = clock.now(now)
    comment = (comment or "").strip()
    if satisfaction not in Feedback.Satisfaction.values:
        raise InvalidInput(_("Choose how satisfied you are."), code="required", field="satisfaction")
    if len(comment) > 2000:
        raise InvalidInput(_("Keep the comment under 2,000 characters."), field="comment")
    dissatisfied = satisfaction == Feedback.Satisfaction.DISSATISFIED
    if dissatisfied and not comment:
        raise InvalidInput(_("Tell us why you are not satisfied."), code="required", field="comment")
    with transaction.atomic():
        # The row lock first: two taps on "send" record one verdict.
        ticket = lock_one(Ticket.objects.select_related("committee"), ticket.pk)
        if not verdict_open(ticket):
            raise InvalidTransition(_("Your verdict on this request is already recorded."), code="verdict_given")
        feedback = ticket_record_feedback(
            ticket=ticket,
            actor=RESIDENT,
            satisfaction=satisfaction,
            collected_via=Feedback.Via.RESIDENT,
            comment=comment,
            now=now,
        )
        result = Verdict(feedback=feedback)
        if not dissatisfied:
            return result
        ticket.refresh_from_db()
        reopened_before = TicketEvent.objects.filter(
            ticket=ticket, kind=TicketEvent.Kind.REOPENED, actor_label=RESIDENT
        ).exists()
        window = dt.timedelta(days=settings.ZHITONG_REOPEN_WINDOW_DAYS)
        in_window = ticket.closed_at is None or ticket.closed_at >= now - window
        leader = ticket.committee.duty_leader_id if ticket.committee_id else None
        if not reopened_before and in_window:
            ticket_reopen(ticket=ticket, actor=RESIDENT, reason=comment, now=now)
            alerts_create([(leader, Notification.Kind.REOPENED, ticket.pk)] if leader else [], now=now)
            result.reopened = True
        else:
            recipients = {pk for pk in (ticket.owner_id, leader) if pk}
            alerts_create([(pk, Notification.Kind.DISSATISFIED_AGAIN, ticket.pk) for pk in recipients], now=now)
            result.flagged = True
        return result
