from django.core.exceptions import BadRequest
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
