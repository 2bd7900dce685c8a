"""Buildings' points: importable from a CSV file, all lines or none, and editable in the admin."""

import pytest
from django.core.management import CommandError, call_command

from grievances.models import Building
from responders.models import User
from tests.factories import BuildingFactory, UserFactory

pytestmark = pytest.mark.django_db


def write(tmp_path, text):
    path = tmp_path / "points.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_file_sets_points_by_id_or_zone_and_name_and_again_changes_nothing(tmp_path, zone, capsys):
    by_id = BuildingFactory(zone=zone)
    by_name = BuildingFactory(zone=zone, name="瞿溪路 500 弄 3 号")
    cleared = BuildingFactory(zone=zone, lat=30.0, long=120.0)
    untouched = BuildingFactory(zone=zone, lat=30.5, long=120.5)
    path = write(
        tmp_path,
        "building,zone,name,lat,long\n"
        f"{by_id.pk},,,31.2059,121.4890\n"
        f",{zone.code},瞿溪路 500 弄 3 号,31.21,121.47\n"
        f"{cleared.pk},,,,\n",
    )

    call_command("import_building_points", path)
    assert "3 buildings read, 3 changed" in capsys.readouterr().out
    call_command("import_building_points", path)
    assert "3 buildings read, 0 changed, 3 as before" in capsys.readouterr().out

    points = {b.pk: (b.lat, b.long) for b in Building.objects.all()}
    assert points[by_id.pk] == (31.2059, 121.489)
    assert points[by_name.pk] == (31.21, 121.47)
    assert points[cleared.pk] == (None, None)
    assert points[untouched.pk] == (30.5, 120.5)


def test_bad_lines_are_each_reported_by_number_and_nothing_is_written(tmp_path, zone):
    good = BuildingFactory(zone=zone)
    other = BuildingFactory(zone=zone)
    path = write(
        tmp_path,
        "building,zone,name,lat,long\n"
        f"{good.pk},,,31.2,121.4\n"
        "999999,,,31.2,121.4\n"
        f"{other.pk},,,95,121.4\n"
        f"{other.pk},,,31.2,\n"
        f",{zone.code},无此楼,31.2,121.4\n",
    )

    with pytest.raises(CommandError) as failed:
        call_command("import_building_points", path)

    message = str(failed.value)
    assert "line 3: building 999999: no such building." in message
    assert "line 4: lat:" in message
    assert "line 5: long:" in message
    assert "line 6: building '无此楼'" in message
    assert "line 2" not in message
    assert not Building.objects.filter(lat__isnull=False).exists()


def test_a_file_without_the_columns_is_refused(tmp_path):
    with pytest.raises(CommandError, match="header must name"):
        call_command("import_building_points", write(tmp_path, "id,x,y\n1,2,3\n"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_building_points", str(tmp_path / "missing.csv"))


def test_the_admin_edits_a_buildings_point(client, zone):
    building = BuildingFactory(zone=zone)
    client.force_login(
        UserFactory(role=User.Role.STREET_STAFF, street=zone.committee.street, is_staff=True, is_superuser=True)
    )
    url = f"/admin/grievances/building/{building.pk}/change/"

    page = client.get(url)
    assert page.status_code == 200 and 'name="lat"' in page.content.decode()
    response = client.post(url, {"zone": zone.pk, "name": building.name, "lat": "31.2", "long": "121.4"})

    assert response.status_code == 302, response.content.decode()[:2000]
    building.refresh_from_db()
    assert (building.lat, building.long) == (31.2, 121.4)
