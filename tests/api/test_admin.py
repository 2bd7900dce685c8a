import re

import pytest
from django.test import Client

from api.models import PartnerKey

pytestmark = pytest.mark.django_db


def test_an_administrator_issues_a_key_in_the_admin_and_sees_it_once(admin_client, hotline, zone):
    response = admin_client.post(
        "/admin/api/partnerkey/add/",
        {
            "partner": hotline.pk,
            "name": "热线生产环境",
            "streets": [zone.committee.street_id],
            "scopes": ["tickets:read"],
        },
        follow=True,
    )

    raw = re.search(r"zt_[0-9a-f]{8}\.[\w-]+", response.content.decode()).group(0)
    key = PartnerKey.objects.get()
    assert key.prefix == raw.split(".")[0] and raw not in key.key_hash
    assert Client(HTTP_AUTHORIZATION=f"Api-Key {raw}").get("/api/v1/categories/").status_code == 200
    assert raw not in admin_client.get(f"/admin/api/partnerkey/{key.pk}/change/").content.decode()


def test_revoking_from_the_admin_locks_the_key_out(admin_client, api_client, zone):
    client = api_client(zone.committee.street)

    admin_client.post("/admin/api/partnerkey/", {"action": "revoke", "_selected_action": [PartnerKey.objects.get().pk]})

    assert client.get("/api/v1/categories/").status_code == 401
