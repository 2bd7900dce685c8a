"""A real Celery worker with embedded beat, on Redis, sends a resident's SMS held by quiet hours
once they are over (the beat task `send_due_resident_messages`), to the file backend."""

import json

import pytest
from django.utils import timezone

from residents.models import ResidentMessage
from tests.escalation.test_celery_integration import celery_worker, wait_for  # noqa: F401 - the worker fixture
from tests.factories import make_ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_sends_to_file(monkeypatch, tmp_path):
    """The worker's environment (read when it starts): the file backend, no quiet hours, beat
    sending every second."""
    path = tmp_path / "worker-sms.jsonl"
    monkeypatch.setenv("ZHITONG_SMS_BACKEND", "file")
    monkeypatch.setenv("ZHITONG_SMS_FILE", str(path))
    monkeypatch.setenv("ZHITONG_RESIDENT_SMS_INTERVAL_SECONDS", "1")
    return path


def test_beat_and_the_worker_send_a_held_message(settings, worker_sends_to_file, celery_worker):  # noqa: F811
    # given: a message written in quiet hours (held; nothing is queued at the commit)
    settings.ZHITONG_SMS_QUIET_HOURS = "00:00-23:59"
    ticket = make_ticket(reporter_phone="13812345678", reporter_name="王先生")
    message = ResidentMessage.objects.get(ticket=ticket)
    assert message.send_after > timezone.now()
    # when: the quiet hours are over
    ResidentMessage.objects.filter(pk=message.pk).update(send_after=timezone.now())
    # then: beat's task, run by the worker, sends it once
    sent = wait_for(lambda: ResidentMessage.objects.get(pk=message.pk).sent_at is not None)
    assert sent, f"not sent; the worker's log:\n{celery_worker.read_text()}"
    [line] = [json.loads(text) for text in worker_sends_to_file.read_text(encoding="utf-8").splitlines()]
    assert line["to"] == "13812345678" and ticket.reference in line["text"]
