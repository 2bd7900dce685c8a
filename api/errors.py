"""The one error envelope of the API: {"error": {"code", "message", "fields"}} (DESIGN.md)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import InvalidInput, InvalidTransition, NotPermitted


def envelope(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail) -> dict:
    """DRF's nested error detail as {"field": ["message", ...]} (nested fields dotted)."""
    fields: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and value and not isinstance(value[0], str | exceptions.ErrorDetail):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}", item)
        else:
            items = value if isinstance(value, list) else [value]
            fields.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in items)

    walk("", detail)
    return fields


CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    422: "idempotency_mismatch",
    429: "throttled",
}


def exception_handler(exc, context):
    if isinstance(exc, InvalidInput):
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(envelope(exc.code, exc.message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, InvalidTransition):
        return Response(envelope(exc.code, exc.message), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotPermitted):
        return Response(envelope(exc.code, exc.message), status=status.HTTP_403_FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = envelope("invalid", _("Some fields are not valid."), _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", None) if not isinstance(exc, exceptions.NotFound) else "not_found"
        body = envelope(CODES.get(response.status_code, code or "error"), str(detail))
    response.data = body
    return response


def json_error(status_code: int, message: str, code: str | None = None) -> JsonResponse:
    """The envelope outside DRF's views: unknown URLs, oversized bodies, server errors."""
    return JsonResponse(envelope(code or CODES.get(status_code, "error"), message), status=status_code)
