"""Issue 18 over the partner API: consultation matters and livelihood projects, read-only,
scoped by the key's streets like tickets (another street's are 404); the schema documents
them; the contract only grows."""

import datetime as dt

import pytest

from consultation.models import LivelihoodProject
from tests.consultation.helpers import raise_matter, through
from tests.factories import staffed_zone

pytestmark = pytest.mark.django_db


def _project(committee, title="加装楼道扶手", **kwargs):
    return LivelihoodProject.objects.create(
        street=committee.street,
        committee=committee,
        period="2026-H2",
        title=title,
        location="12 弄",
        proposed_by="committee",
        **kwargs,
    )


def test_matters_list_and_detail_with_steps_and_the_vote(api_client, zone):
    matter = through(raise_matter(zone.committee), 4)
    raise_matter(zone.committee, title="加装充电桩")
    client = api_client(zone.committee.street, scopes=("tickets:read",))
    listed = client.get("/api/v1/consultation/matters/")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [row["title"] for row in rows] == ["加装充电桩", "小区环境改造"]
    assert rows[1]["step"] == 4 and rows[1]["status"] == "resolved" and rows[1]["committee"] == zone.committee.pk
    only = client.get("/api/v1/consultation/matters/", {"step": "4"}).json()["results"]
    assert [row["id"] for row in only] == [matter.pk]
    detail = client.get(f"/api/v1/consultation/matters/{matter.pk}/").json()
    assert [step["number"] for step in detail["steps"]] == [1, 2, 3, 4]
    vote = detail["steps"][3]
    assert (vote["representatives"], vote["present"], vote["votes_for"]) == (30, 24, 20)
    assert "participants" not in detail["steps"][1]  # who took part stays on the staff's screens
    assert detail["milestones"] == []


def test_livelihood_projects_list_filter_and_detail(api_client, zone):
    done = _project(
        zone.committee,
        status="completed",
        budget=12000,
        responsible_unit="居委会",
        starts_on=dt.date(2026, 7, 1),
        due_on=dt.date(2026, 9, 30),
        completed_on=dt.date(2026, 9, 20),
        progress=100,
    )
    _project(zone.committee, title="路灯")
    client = api_client(zone.committee.street, scopes=("tickets:read",))
    rows = client.get("/api/v1/livelihood-projects/", {"status": "completed"}).json()["results"]
    assert [(row["id"], row["on_time"]) for row in rows] == [(done.pk, True)]
    assert len(client.get("/api/v1/livelihood-projects/").json()["results"]) == 2
    detail = client.get(f"/api/v1/livelihood-projects/{done.pk}/").json()
    assert detail["due_on"] == "2026-09-30" and detail["milestones"] == []


def test_scoped_by_street_bad_filters_are_400_and_the_schema_documents_them(api_client, client, zone):
    matter = raise_matter(zone.committee)
    project = _project(zone.committee)
    elsewhere = staffed_zone()
    other = api_client(elsewhere.committee.street)
    assert other.get("/api/v1/consultation/matters/").json()["results"] == []
    assert other.get(f"/api/v1/consultation/matters/{matter.pk}/").status_code == 404
    assert other.get(f"/api/v1/livelihood-projects/{project.pk}/").status_code == 404
    mine = api_client(zone.committee.street)
    for path, params, field in (
        ("/api/v1/consultation/matters/", {"step": "9"}, "step"),
        ("/api/v1/consultation/matters/", {"committee": ""}, "committee"),
        ("/api/v1/livelihood-projects/", {"status": "done"}, "status"),
    ):
        response = mine.get(path, params)
        assert response.status_code == 400 and field in response.json()["error"]["fields"], response.json()
    # A key without tickets:read is refused.
    assert (
        api_client(zone.committee.street, scopes=("webhooks:manage",)).get("/api/v1/livelihood-projects/").status_code
        == 403
    )
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/consultation/matters/{id}/" in schema and "/api/v1/livelihood-projects/" in schema
    assert "/api/v1/tickets/{id}/" in schema  # nothing taken away
