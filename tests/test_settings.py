"""Settings that only show when the process starts: checked in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_the_filesystem_broker_keeps_every_folder_under_the_var_dir(tmp_path):
    """Without Redis, kombu's filesystem transport writes messages and its exchange table; a
    folder left to kombu's default lands in the working directory (the checkout)."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["ZHITONG_VAR_DIR"] = str(tmp_path)
    code = "import json; from config.settings import local; print(json.dumps(local.CELERY_BROKER_TRANSPORT_OPTIONS))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    options = json.loads(result.stdout)

    folders = {name: Path(value) for name, value in options.items() if name.endswith(("_folder", "_in", "_out"))}
    assert set(folders) == {"data_folder_in", "data_folder_out", "processed_folder", "control_folder"}
    for folder in folders.values():
        assert folder.is_relative_to(tmp_path / "celery-broker")
        assert folder.is_dir()


def test_the_filesystem_broker_starts_without_a_warning(tmp_path):
    """`make run` without Redis: kombu warned "No hostname was supplied" at every start."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(ZHITONG_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings.local")
    code = (
        "import logging, django; logging.basicConfig(); django.setup(); from config.celery import app; "
        "connection = app.connection_for_write(); connection._info(); print(connection.transport_cls)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "filesystem"
    assert "WARNING" not in result.stderr, result.stderr


def _production_default_storage(extra: dict) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "z.example.org",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/none",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        **extra,
    }
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(json.dumps([type(s).__module__ + '.' + type(s).__name__, getattr(s, 'bucket_name', None), "
        "getattr(s, 'default_acl', 'n/a'), getattr(s, 'base_url', 'n/a')]))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_photos_go_to_a_private_s3_bucket_when_one_is_configured_else_to_a_folder_with_no_url():
    assert _production_default_storage(
        {"ZHITONG_S3_BUCKET": "zt-photos", "ZHITONG_S3_ENDPOINT_URL": "http://minio:9000"}
    )[:3] == ["storages.backends.s3.S3Storage", "zt-photos", None]
    plain = _production_default_storage({"ZHITONG_S3_BUCKET": ""})
    assert plain[0] == "django.core.files.storage.filesystem.FileSystemStorage"


def _production_settings(extra: dict) -> subprocess.CompletedProcess:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("ZHITONG_SMS")},
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "z.example.org",
        "DATABASE_URL": "postgres://u@127.0.0.1:5432/none",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
    }
    env.pop("ZHITONG_PUBLIC_URL", None)
    env.update(extra)
    code = "from django.conf import settings; print(settings.ZHITONG_SMS_BACKEND, settings.ZHITONG_PUBLIC_URL)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


def test_residents_sms_from_a_provider_need_the_sites_public_address():
    refused = _production_settings({"ZHITONG_SMS_BACKEND": "tencent"})
    assert refused.returncode != 0 and "ZHITONG_PUBLIC_URL must be set" in refused.stderr
    given = _production_settings({"ZHITONG_SMS_BACKEND": "aliyun", "ZHITONG_PUBLIC_URL": "https://zt.example.org/"})
    assert given.stdout.split() == ["aliyun", "https://zt.example.org"]
    assert _production_settings({}).stdout.split()[0] == "console"
    wrong = _production_settings({"ZHITONG_SMS_BACKEND": "carrier-pigeon"})
    assert wrong.returncode != 0 and "ZHITONG_SMS_BACKEND must be" in wrong.stderr
    quiet = _production_settings({"ZHITONG_SMS_QUIET_HOURS": "9pm-8am"})
    assert quiet.returncode != 0 and "ZHITONG_SMS_QUIET_HOURS" in quiet.stderr


def _databases(extra: dict, drop: tuple = ()) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(extra)
    code = "import json; from config.settings import local; print(json.dumps(local.DATABASES, default=str))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_without_a_replica_url_every_read_is_on_the_primary():
    databases = _databases({"DATABASE_URL": "postgres://u@127.0.0.1:5432/z"}, drop=("DATABASE_REPLICA_URL",))
    assert set(databases) == {"default"}


def test_a_replica_url_adds_the_replica_with_a_short_connect_timeout():
    databases = _databases(
        {"DATABASE_URL": "postgres://u@10.0.0.1:5432/z", "DATABASE_REPLICA_URL": "postgres://u@10.0.0.2:5432/z"}
    )
    assert databases["replica"]["HOST"] == "10.0.0.2"
    assert databases["replica"]["OPTIONS"]["connect_timeout"] == 2
    assert databases["replica"]["TEST"] == {"MIRROR": "default"}


@pytest.mark.django_db
def test_the_database_connections_run_without_postgresqls_jit():
    """The queue's search paid 80 ms of JIT compiling for 6 ms of work (config.settings.base)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_the_jit_setting_is_checked_at_start():
    env = {**os.environ, "ZHITONG_DATABASE_JIT": "sometimes", "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ZHITONG_DATABASE_JIT must be on or off" in result.stderr


@pytest.mark.django_db
def test_a_statement_run_often_on_a_connection_is_prepared_there():
    """PostgreSQL plans a prepared statement once, not on every run (config.settings.base):
    planning was most of the database's time on the busy pages."""
    from grievances.models import Category

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%grievances_category%"]
            )
            return cursor.fetchone()[0]

    def lift() -> tuple:
        return tuple(Category.objects.filter(code="lift").values_list("pk", "name"))

    assert prepared() == 0
    first = {lift() for _ in range(5)}
    assert prepared() == 0  # five runs: planned each time
    later = {lift() for _ in range(3)}
    assert prepared() == 1
    assert first == later and len(first) == 1  # the same answer, prepared or not


@pytest.mark.django_db
def test_a_text_search_is_never_prepared_and_planned_for_its_own_words():
    """A search's best plan depends on its words: a generic plan, kept after five runs, walked a
    million open tickets for a phone number on the city data (5 ms -> 1.2 s). Searched twelve
    times on one connection, it is planned twelve times; the statement beside it is prepared."""
    from grievances.models import Category

    def prepared(table: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{table}%"])
            return [row[0] for row in cursor.fetchall()]

    searched = {
        tuple(Category.objects.filter(name__icontains="电梯").values_list("code", flat=True)) for _ in range(12)
    }
    for _ in range(12):
        list(Category.objects.filter(code="lift").values_list("pk"))

    statements = prepared("grievances_category")
    assert len(statements) == 1 and "LIKE" not in statements[0].upper()  # the plain lookup only
    assert len(searched) == 1 and searched != {()}  # the same answer every time


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    off = _databases({"DATABASE_URL": "postgres://u@10.0.0.1:5432/z", "ZHITONG_DATABASE_PREPARE_THRESHOLD": "off"})
    assert off["default"]["OPTIONS"]["prepare_threshold"] is None
    assert off["default"]["OPTIONS"]["server_side_binding"] is True
    default = _databases({"DATABASE_URL": "postgres://u@10.0.0.1:5432/z"}, drop=("ZHITONG_DATABASE_PREPARE_THRESHOLD",))
    assert default["default"]["OPTIONS"]["prepare_threshold"] == 5
    sqlite = _databases({"DATABASE_URL": "sqlite:///x.db"})
    assert "prepare_threshold" not in sqlite["default"].get("OPTIONS", {})


def test_the_prepare_threshold_is_checked_at_start():
    env = {
        **os.environ,
        "ZHITONG_DATABASE_PREPARE_THRESHOLD": "often",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ZHITONG_DATABASE_PREPARE_THRESHOLD must be a whole number of runs, or off" in result.stderr
