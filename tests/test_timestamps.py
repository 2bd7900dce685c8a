"""Timestamps read back from PostgreSQL are the ones written (core/postgresql/base.py reads
them with datetime.fromisoformat instead of Django's pure-Python loader)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone
from psycopg.pq import Format

from grievances.models import Category

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WRITTEN = [
    dt.datetime(2026, 12, 2, 17, 35, 0, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 2, 17, 35, tzinfo=dt.UTC),  # no fraction: PostgreSQL writes none
    dt.datetime(2026, 12, 2, 17, 35, 0, 120000, tzinfo=dt.UTC),  # ".12": trailing zeros dropped
    dt.datetime(2027, 1, 1, 0, 0, 0, 1, tzinfo=SHANGHAI),  # another zone, read back in UTC
    dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


def _read(sql, params, *, djangos: bool = False):
    with connection.cursor() as cursor:
        if djangos:  # Django's own loader, for comparison
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_timestamps_read_back_as_written_and_as_djangos_loader_reads_them():
    sql = "SELECT unnest(%s::timestamptz[])"
    ours, djangos = _read(sql, [WRITTEN]), _read(sql, [WRITTEN], djangos=True)
    assert ours == WRITTEN == djangos
    assert [value.tzinfo for value in ours] == [value.tzinfo for value in djangos] == [dt.UTC] * len(WRITTEN)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]


def test_a_model_field_round_trips_through_the_loader():
    category = Category.objects.order_by("pk").first()
    assert Category.objects.filter(pk=category.pk).values_list("pk", flat=True).get() == category.pk
    now = timezone.now()
    assert _read("SELECT %s::timestamptz", [now]) == [now]
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader.__module__ == "core.postgresql.base"  # ours, not Django's, read that


def test_a_value_python_cannot_hold_is_refused_as_djangos_loader_refuses_it():
    for djangos in (False, True):
        with pytest.raises(DataError):
            _read("SELECT 'infinity'::timestamptz", [], djangos=djangos)
