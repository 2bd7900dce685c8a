"""Hearings (听证会) on a matter or a livelihood project, and the residents' covenant (居民公约)
adopted by a representatives' meeting, versioned and public."""

import pytest

from consultation import hearings, livelihood
from consultation.models import CovenantVersion, Hearing
from core.errors import InvalidInput, NotPermitted
from meetings.models import MeetingType
from meetings.services import meeting_schedule
from responders.models import User
from tests.consultation.helpers import day, raise_matter, staff_of
from tests.factories import CommitteeFactory, UserFactory, staffed_zone

pytestmark = pytest.mark.django_db


def _meeting(unit, code, on=2):
    return meeting_schedule(
        type=MeetingType.objects.get(code=code), unit=unit, starts_at=day(on), actor=None, now=day(0)
    )


def test_a_hearing_on_a_matter_and_one_on_a_street_wide_project():
    zone = staffed_zone()
    committee = zone.committee
    matter = raise_matter(committee)
    hearing = hearings.hearing_record(
        actor=staff_of(committee),
        matter=matter,
        meeting=_meeting(committee, "hearing"),
        participants="居民代表 15 人、物业公司、居委会",
        opinions=hearings.parse_opinions("王阿姨：支持，楼道太乱\n物业公司: 费用需分摊\n希望尽快实施"),
        conclusion="多数支持，提交两委会商议。",
        now=day(3),
    )
    assert hearing.opinions == [
        {"speaker": "王阿姨", "opinion": "支持，楼道太乱"},
        {"speaker": "物业公司", "opinion": "费用需分摊"},
        {"speaker": "", "opinion": "希望尽快实施"},
    ]
    street_staff = User.objects.get(role=User.Role.STREET_STAFF, street=committee.street)
    project = livelihood.project_propose(
        actor=street_staff,
        unit=committee.street,
        title="街道休闲步道",
        location="全街道",
        proposed_by="residents",
        now=day(0),
    )
    on_project = hearings.hearing_record(
        actor=street_staff,
        project=project,
        meeting=_meeting(committee, "hearing", on=4),
        participants="沿线居民代表",
        opinions=[{"speaker": "李先生", "opinion": "支持"}],
        conclusion="同意提交提议会。",
        now=day(5),
    )
    assert list(project.hearings.all()) == [on_project] and Hearing.objects.count() == 2


def test_a_hearing_is_refused_at_the_wrong_meeting_before_it_begins_or_without_opinions():
    zone = staffed_zone()
    committee = zone.committee
    matter = raise_matter(committee)
    staff = staff_of(committee)
    cases = [
        ({"meeting": _meeting(committee, "coordination")}, "meeting"),
        ({"meeting": _meeting(CommitteeFactory(street=committee.street), "hearing")}, "meeting"),
        ({"meeting": _meeting(committee, "hearing", on=9)}, "meeting"),
        ({"meeting": _meeting(committee, "hearing"), "opinions": []}, "opinions"),
    ]
    for overrides, field in cases:
        values = {"participants": "居民", "opinions": [{"speaker": "", "opinion": "x"}], "conclusion": "y"} | overrides
        with pytest.raises(InvalidInput) as error:
            hearings.hearing_record(actor=staff, matter=matter, now=day(3), **values)
        assert error.value.field == field
    with pytest.raises(NotPermitted):
        hearings.hearing_record(
            actor=UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory()),
            matter=matter,
            meeting=_meeting(committee, "hearing"),
            participants="x",
            opinions=[{"speaker": "", "opinion": "x"}],
            conclusion="y",
            now=day(3),
        )


def test_the_covenant_is_versioned_and_adopted_by_a_representatives_meeting():
    zone = staffed_zone()
    committee = zone.committee
    staff = staff_of(committee)
    first = hearings.covenant_adopt(
        actor=staff,
        committee=committee,
        text="一、爱护公共设施。",
        meeting=_meeting(committee, "representatives"),
        now=day(3),
    )
    second = hearings.covenant_adopt(
        actor=staff,
        committee=committee,
        text="一、爱护公共设施。\n二、电动车不进楼道。",
        meeting=_meeting(committee, "representatives", on=5),
        now=day(6),
    )
    assert (first.version, second.version) == (1, 2) and second.adopted_on == day(5).date()
    with pytest.raises(InvalidInput) as same_meeting:
        hearings.covenant_adopt(actor=staff, committee=committee, text="x", meeting=second.meeting, now=day(7))
    assert same_meeting.value.field == "meeting"
    with pytest.raises(InvalidInput) as wrong_kind:
        hearings.covenant_adopt(
            actor=staff, committee=committee, text="x", meeting=_meeting(committee, "hearing"), now=day(7)
        )
    assert wrong_kind.value.field == "meeting"
    assert CovenantVersion.objects.filter(committee=committee).count() == 2


def test_the_public_covenant_page_shows_the_version_in_force(client):
    zone = staffed_zone()
    committee = zone.committee
    assert client.get(f"/gongshi/covenant/{committee.pk}/").status_code == 404
    hearings.covenant_adopt(
        actor=staff_of(committee),
        committee=committee,
        text="一、爱护公共设施。",
        meeting=_meeting(committee, "representatives"),
        now=day(3),
    )
    hearings.covenant_adopt(
        actor=staff_of(committee),
        committee=committee,
        text="二、电动车不进楼道。",
        meeting=_meeting(committee, "representatives", on=5),
        now=day(6),
    )
    page = client.get(f"/gongshi/covenant/{committee.pk}/").content.decode()
    assert "电动车不进楼道" in page and "爱护公共设施" not in page.split('data-testid="history"')[0]


def test_hearing_and_covenant_from_their_pages(client):
    zone = staffed_zone()
    committee = zone.committee
    matter = raise_matter(committee)
    hearing = meeting_schedule(
        type=MeetingType.objects.get(code="hearing"), unit=committee, starts_at=day(-400), actor=None, now=day(-401)
    )
    client.force_login(staff_of(committee))
    bad = client.post(
        f"/consultation/{matter.pk}/hearing/",
        {"meeting": hearing.pk, "participants": "居民", "opinions": "", "conclusion": "x"},
    )
    assert bad.status_code == 400 and "opinions" in bad.context["hearing_form"].errors
    done = client.post(
        f"/consultation/{matter.pk}/hearing/",
        {"meeting": hearing.pk, "participants": "居民代表", "opinions": "王阿姨：支持", "conclusion": "支持"},
    )
    assert done.status_code == 302 and matter.hearings.get().opinions == [{"speaker": "王阿姨", "opinion": "支持"}]
    assert "王阿姨" in client.get(f"/consultation/{matter.pk}/").content.decode()

    representatives = meeting_schedule(
        type=MeetingType.objects.get(code="representatives"),
        unit=committee,
        starts_at=day(-400),
        actor=None,
        now=day(-401),
    )
    refused = client.post(f"/covenants/{committee.pk}/", {"meeting": hearing.pk, "text": "一、爱护公共设施。"})
    assert refused.status_code == 400 and "meeting" in refused.context["form"].errors
    assert (
        client.post(
            f"/covenants/{committee.pk}/", {"meeting": representatives.pk, "text": "一、爱护公共设施。"}
        ).status_code
        == 302
    )
    assert CovenantVersion.objects.get(committee=committee).version == 1
    assert "爱护公共设施" in client.get(f"/gongshi/covenant/{committee.pk}/").content.decode()

    client.force_login(UserFactory(role=User.Role.COMMITTEE_STAFF, committee=CommitteeFactory()))
    assert client.get(f"/covenants/{committee.pk}/").status_code == 404
    assert client.post(f"/covenants/{committee.pk}/", {"meeting": representatives.pk, "text": "x"}).status_code == 404
