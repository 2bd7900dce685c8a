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
