import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from api.services import partner_key_create
from responders.models import PartnerSystem

ALL_SCOPES = ["tickets:read", "tickets:write", "pii:read"]


@pytest.fixture
def hotline():
    return PartnerSystem.objects.create(code="hotline12345", name="12345 市民服务热线")


@pytest.fixture
def api_client(hotline):
    """A client for a partner key on the given streets with the given scopes."""

    def make(*streets, scopes=("tickets:read", "tickets:write")):
        _, raw = partner_key_create(partner=hotline, name="test", streets=list(streets), scopes=list(scopes))
        return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    return make


class Receiver:
    """A partner's webhook endpoint: records each request, answers the statuses queued in
    `statuses` in turn, then 200. Its thread never touches the database."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass  # keep the test output to what the tests say

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/zhitong"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def payloads(self):
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def key_for(hotline):
    """Issue a key of the hotline partner (tests/api/conftest.py) on the streets: (key, raw key)."""

    def make(*streets, scopes=("tickets:read",)):
        return partner_key_create(partner=hotline, name="webhooks", streets=list(streets), scopes=list(scopes))

    return make
