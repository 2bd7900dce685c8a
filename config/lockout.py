"""Sign-in lockout: django-axes, set up in config/settings/base.py, with three pieces of ours.

- Two limits instead of axes' one: an account is locked after
  ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT failures from anywhere, an address after the larger
  ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS failures for any accounts (a street office's staff
  sign in from behind one address).
- A successful sign-in clears that account's failures from that address, and nothing else.
- The refusal is our own page, in the reader's language: locked, for how long, who unlocks.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

from core.addresses import client_address  # noqa: F401 - AXES_CLIENT_IP_CALLABLE names it here

LOCKED_OUT_STATUS = 429


def _limits() -> dict[str, int]:
    return {
        "username": settings.ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT,
        "ip_address": settings.ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS,
    }


class SignInAttempts(AxesDatabaseHandler):
    """Axes' database handler (attempts are rows, cleared after the cool-off), with a limit per
    lockout parameter."""

    def get_failures(self, request, credentials=None) -> int:
        # Axes locks when this reaches AXES_FAILURE_LIMIT (the account's limit), so each
        # parameter's failures are shifted to reach that number exactly at its own limit.
        limits = _limits()
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            worst = max(worst, failures - limits[parameter] + settings.AXES_FAILURE_LIMIT)
        return worst

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        # The person typed their password right: forget their own slips from here. Their
        # account's failures from elsewhere and others' failures from here still count.
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=request.axes_ip_address).delete()


def locked_out(request, original_response=None, credentials=None):
    """What a locked-out sign-in gets instead of the form: 429, and when to try again."""
    minutes = settings.ZHITONG_SIGN_IN_LOCK_MINUTES
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=LOCKED_OUT_STATUS)
    response["Retry-After"] = str(minutes * 60)
    return response
