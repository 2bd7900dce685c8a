import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import encoders

_fallback = encoders.JSONEncoder()


class OrjsonRenderer(JSONRenderer):
    """DRF's JSONRenderer, written by orjson: the same media type and the same compact UTF-8
    JSON, an order of magnitude faster for a page of tickets. What orjson does not write the
    way DRF does goes to DRF's own encoder (dates and times, lazy translations, decimals) or,
    for an indented answer (`Accept: application/json; indent=4`) or anything orjson refuses
    (an integer beyond 64 bits), to DRF's renderer itself."""

    OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_fallback.default, option=self.OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # Like DRF: U+2028 and U+2029 escaped, so the JSON is also valid JavaScript.
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
