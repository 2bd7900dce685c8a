"""The residents' SMS file backend, for the tests of every reporter hearing the outcome."""

from tests.residents.conftest import sms_file  # noqa: F401
