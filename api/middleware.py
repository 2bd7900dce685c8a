"""Errors that happen before DRF's views run, answered in the API's envelope."""

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from core import refdata
from core.params import carries_nul, whole_number

from .errors import json_error

logger = logging.getLogger("django.request")

API_PREFIXES = ("/api/", "/open311/")
# Where a body may carry photos (a new ticket's, base64): up to API_MAX_PHOTO_BODY_BYTES.
PHOTO_BODY_PATHS = ("/api/v1/tickets/",)


class ApiEnvelopeMiddleware:
    """Under the API paths: refuse oversized bodies with 413 before they are read, and turn
    Django's own 404 and 500 pages into the JSON envelope."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIXES):
            return self.get_response(request)
        # The reference data an API process keeps may serve this request once its key's
        # Redis round trip has read their version (core.refdata, api.authentication).
        with refdata.request():
            return self._api(request)

    def _api(self, request):
        if carries_nul(request):
            return json_error(400, _("The address has a NUL character."), "invalid")
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get(
            "CONTENT_LENGTH"
        ):
            # Django reads a body by its Content-Length: a chunked one would be read as
            # empty and the request judged on nothing. Say so instead.
            return json_error(411, _("Send the request body with a Content-Length header, not chunked."))
        length = whole_number(request.META.get("CONTENT_LENGTH") or "0")
        limit = (
            settings.API_MAX_PHOTO_BODY_BYTES
            if request.method == "POST" and request.path in PHOTO_BODY_PATHS
            else settings.API_MAX_BODY_BYTES
        )
        if length is not None and length > limit:
            return json_error(413, _("The request body is larger than %(n)s bytes.") % {"n": limit})
        response = self.get_response(request)
        # Django's own 404 page is HTML; the API's and Open311's answers (JSON, XML) stay as they are.
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return json_error(404, _("Not found."))
        return response

    def process_exception(self, request, exception):
        if request.path.startswith(API_PREFIXES) and not settings.DEBUG:
            logger.exception("Server error on %s", request.path)
            return json_error(500, _("Something went wrong on our side; it has been logged."), "server_error")
        return None
