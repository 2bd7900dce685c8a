import pytest
from django.http import HttpRequest

from demo.street import DEMO_PASSWORD


@pytest.fixture
def log_in(client, demo):
    """Sign the test client in as one of the demo street's accounts (by username)."""

    def log_in(username):
        # django-axes checks every sign-in against its lockouts, which needs the request.
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD), username

    return log_in
