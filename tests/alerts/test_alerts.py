"""Alerts are written with the change they announce; other channels get them after commit."""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from alerts import delivery, services
from alerts.models import Notification
from escalation import transitions
from tests.factories import UserFactory, make_ticket

pytestmark = pytest.mark.django_db

SENT: list[tuple[str, int]] = []


class RecordingSMS:
    """Stands in for an SMS gateway, the one part that would leave the machine."""

    def send(self, notifications):
        SENT.extend((n.kind, n.recipient_id) for n in notifications)


class BrokenSMS:
    def send(self, notifications):
        raise ConnectionError("SMS gateway unreachable")


class FlakySMS:
    """A second gateway that fails its first call, then works."""

    calls = 0

    def send(self, notifications):
        FlakySMS.calls += 1
        if FlakySMS.calls == 1:
            raise ConnectionError("second gateway timed out")
        SENT.extend(("flaky", n.kind, n.recipient_id) for n in notifications)


class LockProbeSMS:
    """While it 'sends', asks from another connection whether the alert's row is locked."""

    found_locked: list[bool] = []

    def send(self, notifications):
        def probe():
            try:
                with transaction.atomic():
                    Notification.objects.select_for_update(nowait=True).filter(pk=notifications[0].pk).exists()
                LockProbeSMS.found_locked.append(False)
            except OperationalError:
                LockProbeSMS.found_locked.append(True)
            finally:
                connection.close()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()


@pytest.fixture
def channel(settings):
    SENT.clear()

    def use(*paths):
        settings.ZHITONG_ALERT_CHANNELS = list(paths)

    yield use
    SENT.clear()


def test_the_inbox_row_is_written_with_the_change_itself():
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)

    transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)

    # No on-commit work has run in this test transaction, yet the alert is there.
    assert Notification.objects.filter(recipient=colleague, kind="assigned", ticket=ticket).exists()


def test_an_sms_channel_gets_each_alert_once_after_commit(channel, django_capture_on_commit_callbacks):
    channel("tests.alerts.test_alerts.RecordingSMS")
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)

    with django_capture_on_commit_callbacks(execute=True):
        transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)

    assert [("assigned", colleague.pk)] == SENT
    assert Notification.objects.get(recipient=colleague).sent_at is not None
    # Sending again sends nothing twice.
    delivery.alerts_send([Notification.objects.get(recipient=colleague).pk])
    assert [("assigned", colleague.pk)] == SENT


def test_a_failing_channel_keeps_the_inbox_row_and_is_tried_again(channel):
    channel("tests.alerts.test_alerts.BrokenSMS")
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)
    transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)
    notification = Notification.objects.get(recipient=colleague)

    with pytest.raises(ConnectionError):
        delivery.alerts_send([notification.pk])  # what the Celery task runs, and retries

    notification.refresh_from_db()
    assert notification.sent_at is None
    channel("tests.alerts.test_alerts.RecordingSMS")
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    # The sweep hands over what nobody took: this one, and the creation alert before it.
    assert services.alerts_resend_stale(now=timezone.now() + dt.timedelta(minutes=10)) == 2
    assert ("assigned", colleague.pk) in SENT


def test_a_second_channel_failing_does_not_resend_the_first(channel):
    # given two gateways, the second of which times out once
    channel("tests.alerts.test_alerts.RecordingSMS", "tests.alerts.test_alerts.FlakySMS")
    FlakySMS.calls = 0
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)
    transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)
    notification = Notification.objects.get(recipient=colleague)

    # when the task runs, fails on the second gateway, and is retried
    with pytest.raises(ConnectionError):
        delivery.alerts_send([notification.pk])
    assert [("assigned", colleague.pk)] == SENT
    assert delivery.alerts_send([notification.pk]) == 1

    # then each gateway sent the text message exactly once
    assert [("assigned", colleague.pk), ("flaky", "assigned", colleague.pk)] == SENT
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.claimed_until is None


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_a_channel_sends(channel):
    channel("tests.alerts.test_alerts.LockProbeSMS")
    LockProbeSMS.found_locked = []
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)
    transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)

    delivery.alerts_send([Notification.objects.get(recipient=colleague).pk])

    # Each alert was handed over (on commit, and again by hand) with its row free.
    assert LockProbeSMS.found_locked and not any(LockProbeSMS.found_locked)


def test_a_broker_outage_does_not_undo_or_break_the_change(channel, monkeypatch, django_capture_on_commit_callbacks):
    channel("tests.alerts.test_alerts.RecordingSMS")

    def broker_down(ids):
        raise ConnectionError("Redis unreachable")

    monkeypatch.setattr(services, "_queue", broker_down)
    ticket = make_ticket()
    colleague = UserFactory(role="street_staff", street=ticket.street)

    with django_capture_on_commit_callbacks(execute=True):
        assigned = transitions.ticket_assign(ticket=ticket, actor="test", owner=colleague)

    assert assigned.owner == colleague
    assert Notification.objects.get(recipient=colleague).sent_at is None
    assert services.alerts_resend_stale(now=timezone.now() + dt.timedelta(minutes=10)) == 0  # still down: logged


def test_marking_alerts_read_clears_the_badge(client):
    ticket = make_ticket()
    person = UserFactory(role="street_staff", street=ticket.street)
    Notification.objects.create(recipient=person, kind="overdue", ticket=ticket)
    client.force_login(person)

    before = client.get("/").content.decode()
    client.post("/alerts/read/")
    after = client.get("/").content.decode()

    assert '<span class="badge">1</span>' in before and 'class="badge"' not in after


def test_alerts_about_tickets_the_person_no_longer_sees_are_neither_listed_nor_counted(client):
    mine, elsewhere = make_ticket(), make_ticket()  # each in a street of its own
    person = UserFactory(role="street_staff", street=mine.street)
    for ticket in (mine, elsewhere):
        Notification.objects.create(recipient=person, kind="overdue", ticket=ticket)
    Notification.objects.create(recipient=person, kind="milestone_late", subject="加装电梯", link="/matters/1/")
    client.force_login(person)

    page = client.get("/").content.decode()

    assert mine.reference in page and "加装电梯" in page
    assert elsewhere.reference not in page
    assert '<span class="badge">2</span>' in page
