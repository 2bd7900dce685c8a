"""Many new rows of one model written at once, in the caller's transaction.

`insert_many(objs)` is `Model.objects.bulk_create(objs)` for what the sweep writes by the
thousand — a batch's events, their outbox rows, its alerts. On PostgreSQL a batch of
`COPY_FROM` rows or more goes by `COPY ... FROM STDIN`: the ids taken from the table's sequence
in one query first, then the rows streamed. Django's bulk_create prepares every value of every
row through its field (about two million calls for the sweep's 100,000 escalations) and sends
each column as an array; COPY takes the values as they are. Per 1,000 events, 4 ms of CPU in
this process against 35 ms (bench/sweep.py prints the sweep's CPU). Fewer rows, and SQLite (the
embedded demo), go by bulk_create: one INSERT, no query for the ids.

The rows written are the ones bulk_create would write, and the objects come back the same: each
with its primary key and saved (tests/test_bulk.py compares the two paths column by column).
Each value is still prepared by its field (`get_db_prep_save`) unless it is already what that
would give — a `str` for a text column, an `int` for an integer or a key, a `bool` for a
boolean, or None — and a value shared by the whole batch (the sweep's `now`, an empty `{}`) is
prepared once. Text with a NUL character is refused with the ValueError every other statement
gets (core.postgresql.base). The COPY goes through the connection's execute wrappers and is
logged where Django logs statements (`connection.queries`), so query counts still see it.
"""

from collections.abc import Sequence
from contextlib import nullcontext
from typing import TypeVar

from django.db import connection
from django.db.models import Model

from core.postgresql.base import NUL_REFUSED

COPY_FROM = 50

M = TypeVar("M", bound=Model)

# Field types whose prepared value is the value itself when it is of this Python type.
_AS_IS = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "BooleanField": bool,
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        int,
    ),
}


def insert_many(objs: Sequence[M]) -> list[M]:
    """Insert new `objs` (all of one model) and return them saved, with their primary keys."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM or not _copyable(model):
        return model.objects.bulk_create(objs)
    opts = model._meta
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    pk = opts.pk
    missing = [obj for obj in objs if obj.pk is None] if pk.auto_created or pk.db_returning else []
    try:
        _write(objs, missing)
    except Exception:
        for obj in missing:  # as bulk_create leaves them when it fails: without an id
            obj.pk = None
        raise
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _write(objs: list[Model], missing: list[Model]) -> None:
    opts = objs[0]._meta
    fields = list(opts.concrete_fields)
    with connection.cursor() as cursor:
        if missing:  # their ids, from the table's own sequence, in order
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, len(missing)],
            )
            for obj, (new_id,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = new_id
        columns = [column_values(field, objs) for field in fields]
        statement = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(opts.db_table),
            ", ".join(connection.ops.quote_name(field.column) for field in fields),
        )
        rows = zip(*columns, strict=True)
        # Through the connection's execute wrappers, as every statement goes, and Django's
        # error wrapping (an IntegrityError is Django's, not psycopg's); logged as Django logs.
        logged = cursor.debug_sql(f"{statement} -- {len(objs)} rows") if connection.queries_logged else nullcontext()
        with logged:
            cursor._execute_with_wrappers(statement, rows, many=True, executor=_copy)


def _copy(statement: str, rows, many: bool, context: dict) -> None:
    context["connection"].validate_no_broken_transaction()
    with context["connection"].wrap_database_errors, context["cursor"].cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copyable(model: type[Model]) -> bool:
    """Whether COPY writes what bulk_create would: no field fills itself in on saving (auto_now,
    a database default or a generated column), and the table is the model's own."""
    opts = model._meta
    if opts.parents or opts.proxy:
        return False
    for field in opts.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return False
        if getattr(field, "generated", False) or getattr(field, "has_db_default", lambda: False)():
            return False
    return True


def column_values(field, objs: Sequence[Model]) -> list:
    """The column of `field` for `objs`, each value as the database takes it (what
    `field.get_db_prep_save` gives, called only where it would change the value)."""
    values = [getattr(obj, field.attname) for obj in objs]
    first = values[0]
    kind = type(first)
    if all(type(value) is kind and value == first for value in values):  # one value for the batch
        prepared = [field.get_db_prep_save(first, connection)] * len(values)
    else:
        as_is = _AS_IS.get((field.target_field if field.is_relation else field).get_internal_type())
        prepared = [
            value if value is None or type(value) is as_is else field.get_db_prep_save(value, connection)
            for value in values
        ]
    if any(type(value) is str and "\x00" in value for value in prepared):
        raise ValueError(NUL_REFUSED)
    return prepared
