from django.core.exceptions import BadRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.params import carries_nul


class RefuseNulCharacters:
    """A 400 for a path or query string with a NUL character, before any view reads it.
    (The API's paths answer in its envelope: api.middleware.ApiEnvelopeMiddleware.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            raise BadRequest(_("The address has a NUL character."))
        return self.get_response(request)


class SlideSessionExpiry:
    """A signed-in session ends after ZHITONG_SESSION_IDLE_HOURS without a request: each
    request moves its end on, writing the session at most once every few minutes (a write
    per page view would cost every request three statements for nothing)."""

    KEY = "_slid_at"
    EVERY_SECONDS = 300

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(timezone.now().timestamp())
            if now - session.get(self.KEY, 0) >= self.EVERY_SECONDS:
                session[self.KEY] = now  # modified: the session middleware saves it, a day from now
        return self.get_response(request)
