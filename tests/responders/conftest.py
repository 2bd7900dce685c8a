import pytest

from demo.street import DEMO_PASSWORD


@pytest.fixture
def log_in(client, demo):
    """Sign the test client in as one of the demo street's accounts (by username)."""

    def log_in(username):
        assert client.login(username=username, password=DEMO_PASSWORD), username

    return log_in
