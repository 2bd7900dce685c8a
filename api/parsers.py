"""The API's JSON parser: DRF's, refusing in the error envelope what would otherwise be a
500 deeper in: JSON nested past any sensible depth (Python's parser overflows its stack on
`[[[[...`), and strings that are not text (a lone surrogate such as "\\ud800", which
PostgreSQL cannot store and UTF-8 cannot encode)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

# Our bodies are a few levels deep (a ticket's reporter, a list of kinds); anything past this
# is a client bug or an attack.
MAX_DEPTH = 32


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check(data) -> None:
    """Walk the parsed body without recursion: refuse depth past MAX_DEPTH and any string
    (value or key) that is not text, naming where it is."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(_("The JSON is too deeply nested (at most %(n)s levels).") % {"n": MAX_DEPTH})
        if isinstance(value, str):
            if not _is_text(value):
                raise exceptions.ValidationError(
                    {path or "non_field_errors": [_("Not valid text: it contains an unpaired surrogate.")]}
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if not _is_text(key):
                    raise exceptions.ValidationError({"non_field_errors": [_("A field name is not valid text.")]})
                stack.append((item, where, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1) for index, item in enumerate(value)
            )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                _("The JSON is too deeply nested (at most %(n)s levels).") % {"n": MAX_DEPTH}
            ) from None
        check(data)
        return data
