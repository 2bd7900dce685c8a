"""Idempotency-Key for POSTs: the same key and body replay the first response; the same key
with another body is refused (422); two concurrent requests with one key do the work once."""

import hashlib
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from core.locks import lock_one

from .authentication import Partner
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"


class IdempotencyMismatch(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_mismatch"
    default_detail = _("This Idempotency-Key was used with a different request body.")


def request_hash(request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # a form (Open311): every value of a repeated field
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    # surrogatepass: a lone surrogate in the body is the serializer's to refuse (400 naming
    # its field), not a reason for the hash to fail.
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(request, handler: Callable[[], Response], *, required: bool = False) -> Response:
    """Run `handler` at most once per (key, Idempotency-Key). Every partner POST honours the
    header (a retried action, feedback, subscription or Open311 request does its work once);
    `required`: partners must send it (creating a ticket, where a lost answer is likeliest
    to be retried)."""
    idempotency_key = request.headers.get(HEADER, "").strip()
    if not isinstance(request.user, Partner):
        return handler() if not idempotency_key else _once(request, request.auth, idempotency_key, handler)
    if not idempotency_key:
        if not required:
            return handler()
        raise exceptions.ValidationError({HEADER: [_("Partners must send an Idempotency-Key header with POST.")]})
    if len(idempotency_key) > 255:
        raise exceptions.ValidationError({HEADER: [_("At most 255 characters.")]})
    return _once(request, request.auth, idempotency_key, handler)


def _once(request, key, idempotency_key: str, handler) -> Response:
    if key is None:  # a staff session: nothing to key the record on
        return handler()
    digest = request_hash(request)
    with transaction.atomic():
        # Insert-or-nothing. A row this statement inserted is ours until we commit (a
        # concurrent request with the same key waits on its unique index); one that was there
        # already is locked: a concurrent first request is waited for, then its response found.
        record = _insert(key, idempotency_key, digest)
        if record is None:
            record = lock_one(IdempotencyRecord.objects.filter(key=key, idempotency_key=idempotency_key))
        if record.request_hash != digest:
            raise IdempotencyMismatch()
        if record.status_code is not None:
            return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        response = handler()
        _answered(record, response.status_code, response.data)
        return response


def _insert(key, idempotency_key: str, digest: str) -> IdempotencyRecord | None:
    """A new record, inserted in one statement; None if (key, idempotency_key) has one already."""
    record = IdempotencyRecord(key=key, idempotency_key=idempotency_key, request_hash=digest)
    fields = [f for f in IdempotencyRecord._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(record, True), connection) for f in fields]
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608
            "ON CONFLICT DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    record.pk = row[0]
    record._state.adding = False
    return record


def _answered(record: IdempotencyRecord, status_code: int, data) -> None:
    """Keep the response on the record, in one UPDATE written out (record.save's compiling was
    a twentieth of an API create's time); the values prepared as the model's fields prepare
    them."""
    record.status_code, record.response = status_code, data
    opts = IdempotencyRecord._meta
    fields = [opts.get_field("status_code"), opts.get_field("response")]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    values = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(opts.db_table)} SET {assignments} WHERE id = %s",  # noqa: S608
            [*values, record.pk],
        )
