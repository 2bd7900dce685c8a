import pytest
from django.core.management import call_command

from tests.factories import staffed_zone


@pytest.fixture(autouse=True)
def reference_data(request):
    """Transactional tests (threads, a live server, a Celery worker) end with a flush that
    empties every table, including the rows the migrations seed; put those back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from demo.street import ensure_reference_data

        ensure_reference_data()


@pytest.fixture(autouse=True)
def redis_not_paused():
    """A pause after a Redis failure (core.redis_pause) is the process's: not into the next test."""
    from core.redis_pause import redis_reset

    redis_reset()
    yield
    redis_reset()


@pytest.fixture(autouse=True)
def no_kept_reference_data():
    """What an API process keeps between requests (core.refdata) is not kept between tests,
    whose rows a rollback takes away without a signal."""
    from core import refdata

    refdata.clear()
    yield
    refdata.clear()


@pytest.fixture
def demo(db):
    """The demo street as `make run` seeds it."""
    call_command("seed_demo", "--no-progress")


@pytest.fixture
def zone():
    """A zone with an owner at every tier (tests.factories.staffed_zone)."""
    return staffed_zone()
