import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import Client

from api.services import partner_key_create
from responders.models import PartnerSystem


@pytest.fixture
def sms_file(settings, tmp_path):
    """The file backend, writing to this test's own file; returns a reader of its lines."""
    path = Path(tmp_path) / "sms.jsonl"
    settings.ZHITONG_SMS_BACKEND = "file"
    settings.ZHITONG_SMS_FILE = str(path)

    def read():
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    return read


@pytest.fixture
def hotline(db):
    return PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")


@pytest.fixture
def partner_client(hotline):
    def make(*streets):
        _, raw = partner_key_create(
            partner=hotline, name="test", streets=list(streets), scopes=["tickets:read", "tickets:write"]
        )
        return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    return make


class FakeProvider:
    """A local HTTP server that plays an SMS provider: records each request and answers the
    (status, JSON) queued in `answers` in turn, then `default`. Never touches the database."""

    def __init__(self, default):
        self.requests = []
        self.answers = []
        self.default = default
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.requests.append((self.headers, body))
                status, answer = provider.answers.pop(0) if provider.answers else provider.default
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def fake_provider():
    started = []

    def start(default):
        provider = FakeProvider(default)
        provider.thread.start()
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.server.shutdown()
        provider.server.server_close()
