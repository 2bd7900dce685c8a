"""Retention (retention.services): what is past its keep days and of a prunable kind goes,
in batches; tickets, their events, issued reports and whatever is still live never do; two
runs at once are clean."""

import datetime as dt
import io

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from alerts.models import Notification
from api.models import IdempotencyRecord, WebhookAttempt, WebhookDelivery, WebhookSubscription
from api.services import partner_key_create
from grievances.models import Feedback, Ticket, TicketEvent
from reports.models import MonthlyReport
from residents.models import ResidentMessage
from responders.models import PartnerSystem, User
from retention.services import KINDS, history_prune
from tests.escalation.test_races import run_in_threads
from tests.factories import make_ticket

DAY = dt.timedelta(days=1)


@pytest.fixture
def keep(settings):
    settings.ZHITONG_IDEMPOTENCY_KEEP_DAYS = 7
    settings.ZHITONG_WEBHOOK_DELIVERIES_KEEP_DAYS = 30
    settings.ZHITONG_ALERTS_KEEP_DAYS = 180
    settings.ZHITONG_RESIDENT_SMS_KEEP_DAYS = 180
    settings.ZHITONG_SIGN_IN_LOG_KEEP_DAYS = 365
    return settings


class History:
    """One ticket, and rows of every prunable kind about it: `old[kind]` past the keep days,
    `young[kind]` inside them, `live[kind]` past them but still live (never pruned)."""

    def __init__(self, now):
        self.now = now
        self.ticket = make_ticket(reporter_phone="13812345678")
        self.event = self.ticket.events.get()
        self.user = User.objects.filter(role=User.Role.STREET_STAFF, street=self.ticket.street).get()
        partner = PartnerSystem.objects.get_or_create(code="hotline", defaults={"name": "热线"})[0]
        self.key, _ = partner_key_create(
            partner=partner, name="k", streets=[self.ticket.street], scopes=["tickets:read"]
        )
        self.old, self.young, self.live = {}, {}, {}

    def ago(self, days):
        return self.now - dt.timedelta(days=days)

    def idempotency(self, days):
        record = IdempotencyRecord.objects.create(
            key=self.key, idempotency_key=f"k{days}", request_hash="h", status_code=201, response={}
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=self.ago(days))
        return record.pk

    def delivery(self, days, *, delivered=False, gave_up=False):
        # One delivery per (subscription, event): each its own subscription.
        subscription = WebhookSubscription.objects.create(key=self.key, url=f"https://partner.example/{days}")
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event=self.event,
            payload={},
            delivered_at=self.ago(days) if delivered else None,
            gave_up_at=self.ago(days) if gave_up else None,
            next_attempt_at=None if delivered or gave_up else self.now,
        )
        WebhookAttempt.objects.create(delivery=delivery, status_code=200 if delivered else 500)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=self.ago(days))
        return delivery.pk

    def alert(self, days, *, read):
        return Notification.objects.create(
            recipient=self.user,
            kind="assigned",
            ticket=self.ticket,
            created_at=self.ago(days),
            read_at=self.ago(days) if read else None,
        ).pk

    def sms(self, days, *, sent=False, failed=False):
        return ResidentMessage.objects.create(
            ticket=self.ticket,
            phone="13812345678",
            kind="received",
            text="已收到",
            created_at=self.ago(days),
            sent_at=self.ago(days) if sent else None,
            failed_at=self.ago(days) if failed else None,
        ).pk

    def sign_in(self, days):
        row = AccessLog.objects.create(username="street_staff", ip_address="203.0.113.5", user_agent="test")
        AccessLog.objects.filter(pk=row.pk).update(attempt_time=self.ago(days))
        return row.pk

    def session(self, expires_in_days):
        key = f"s{expires_in_days}".replace("-", "m").ljust(32, "x")
        Session.objects.create(
            session_key=key, session_data="", expire_date=self.now + dt.timedelta(days=expires_in_days)
        )
        return key


@pytest.fixture
def history(db, keep):
    now = timezone.now()
    h = History(now)
    opened = {"alerts": remaining("alerts"), "resident_sms": remaining("resident_sms")}
    assert all(opened.values())
    h.old = {
        "idempotency": {h.idempotency(8)},
        "webhook_deliveries": {h.delivery(31, delivered=True), h.delivery(40, gave_up=True)},
        "alerts": {h.alert(181, read=True)},
        "resident_sms": {h.sms(181, sent=True), h.sms(200, failed=True)},
        "sign_ins": {h.sign_in(366)},
        "sessions": {h.session(-1)},
    }
    h.young = {
        "idempotency": {h.idempotency(6)},  # inside the replay window
        "webhook_deliveries": {h.delivery(29, delivered=True)},
        "alerts": {h.alert(179, read=True)},
        "resident_sms": {h.sms(179, sent=True)},
        "sign_ins": {h.sign_in(364)},
        "sessions": {h.session(1)},
    }
    # Opening the ticket wrote its owner's alert and the resident's SMS: unread and unsent.
    h.live = {
        "webhook_deliveries": {h.delivery(400)},  # still pending (a switched-off subscription's)
        "alerts": {h.alert(400, read=False)} | opened["alerts"],  # never read
        "resident_sms": {h.sms(400)} | opened["resident_sms"],  # still to send
    }
    return h


def remaining(kind_name):
    kind = next(kind for kind in KINDS if kind.name == kind_name)
    return set(kind.model.objects.values_list("pk", flat=True))


def test_only_what_is_past_its_keep_days_and_no_longer_live_is_pruned(history):
    report = history_prune(now=history.now, batch_size=1)

    assert report == {name: len(pks) for name, pks in history.old.items()}
    for kind in KINDS:
        kept = history.young[kind.name] | history.live.get(kind.name, set())
        assert remaining(kind.name) == kept, kind.name
    # A delivery's attempts go with it; the kept ones keep theirs.
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == remaining("webhook_deliveries")
    assert history_prune(now=history.now) == dict.fromkeys(history.old, 0)  # nothing left to do


def test_never_a_ticket_an_event_an_issued_report_or_what_is_still_live(history):
    Feedback.objects.create(ticket=history.ticket, satisfaction="satisfied", collected_via="phone")
    MonthlyReport.objects.create(street=history.ticket.street, month=dt.date(2020, 1, 1), data={"period": {}})
    events = list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "at"))
    assert events

    # Ten years on, with every keep at its least: all that may go is old enough.
    history_prune(now=history.now + 3650 * DAY)

    assert Ticket.objects.filter(pk=history.ticket.pk).exists()
    assert list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "at")) == events
    assert Feedback.objects.count() == 1 and MonthlyReport.objects.count() == 1
    for kind in KINDS:
        assert remaining(kind.name) == history.live.get(kind.name, set()), kind.name


def test_a_kind_kept_for_ever_is_not_pruned(history, settings):
    settings.ZHITONG_ALERTS_KEEP_DAYS = 0
    settings.ZHITONG_WEBHOOK_DELIVERIES_KEEP_DAYS = 0

    report = history_prune(now=history.now)

    assert report["alerts"] == 0 and report["webhook_deliveries"] == 0
    assert history.old["alerts"] <= remaining("alerts")
    assert history.old["webhook_deliveries"] <= remaining("webhook_deliveries")
    assert report["idempotency"] == 1


def test_only_the_tables_of_history_are_pruned():
    """The one list of what may be pruned names no ticket, event, report or record of a
    meeting or consultation."""
    assert {kind.model._meta.db_table for kind in KINDS} == {
        "api_idempotencyrecord",
        "api_webhookdelivery",
        "alerts_notification",
        "residents_residentmessage",
        "axes_accesslog",
        "django_session",
    }


def test_the_command_prunes_what_it_is_told_to(history):
    out = io.StringIO()

    call_command("prune_history", "--only", "alerts", "--only", "sessions", stdout=out)

    assert "alerts 1" in out.getvalue() and "sessions 1" in out.getvalue()
    assert history.old["alerts"].isdisjoint(remaining("alerts"))
    assert history.old["idempotency"] <= remaining("idempotency")  # not asked


def test_beat_prunes_nightly_on_the_housekeeping_queue(settings):
    from tests.test_celery_queues import queue_of

    entry = settings.CELERY_BEAT_SCHEDULE["prune-history"]
    assert entry["task"] == "retention.tasks.prune_history"
    assert entry["schedule"].hour == {3}
    assert queue_of(entry["task"]) == "celery"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_delete_every_prunable_row_once(keep):
    history = History(timezone.now())
    opened = remaining("alerts")  # the new ticket's owner's alert, unread
    read = {history.alert(200 + n, read=True) for n in range(40)}
    unread = {history.alert(200 + n, read=False) for n in range(5)}
    delivered = {history.delivery(40 + n, delivered=True) for n in range(20)}

    threads, results = run_in_threads(
        lambda: history_prune(now=history.now, batch_size=3),
        lambda: history_prune(now=history.now, batch_size=3),
    )
    for thread in threads:
        thread.join(30)

    assert not any(isinstance(result, Exception) for result in results), results
    assert sum(result["alerts"] for result in results) == len(read)
    assert sum(result["webhook_deliveries"] for result in results) == len(delivered)
    assert remaining("alerts") == unread | opened
    assert remaining("webhook_deliveries") == set()
    assert Ticket.objects.count() == 1 and TicketEvent.objects.count() == 1


def test_keep_days_refused_below_what_the_rules_need(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.base import _keep_days

    monkeypatch.setenv("ZHITONG_SIGN_IN_LOG_KEEP_DAYS", "90")
    with pytest.raises(ImproperlyConfigured, match="six months"):
        _keep_days("ZHITONG_SIGN_IN_LOG_KEEP_DAYS", 365, least=180, why=": network logs are kept six months")
    monkeypatch.setenv("ZHITONG_SIGN_IN_LOG_KEEP_DAYS", "0")  # for ever
    assert _keep_days("ZHITONG_SIGN_IN_LOG_KEEP_DAYS", 365, least=180) == 0
    monkeypatch.delenv("ZHITONG_SIGN_IN_LOG_KEEP_DAYS")
    assert _keep_days("ZHITONG_SIGN_IN_LOG_KEEP_DAYS", 365, least=180) == 365
