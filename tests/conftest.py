import pytest
from django.core.management import call_command


@pytest.fixture
def demo(db):
    """The demo street as `make run` seeds it."""
    call_command("seed_demo", "--no-progress")
