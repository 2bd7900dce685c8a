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
prepared once; values only equal (1 and True in a JSON document) are each prepared. JSON is
turned into its text before the COPY starts, so a value that cannot be written fails as in
bulk_create, before anything is sent; a batch holding an expression (`Now()`) or one object
twice goes by bulk_create. Text with a NUL character is refused with the ValueError every other
statement gets (core.postgresql.base). The COPY goes through the connection's execute wrappers
and Django's error wrapping, is logged where Django logs statements (`connection.queries`), so
query counts still see it, and must write every row (a wrapper that dropped them is an error);
a COPY that fails marks the surrounding atomic block for rollback, as PostgreSQL has ended its
transaction.
"""

import json
from collections.abc import Sequence
from contextlib import nullcontext
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from core.postgresql.base import refuse_nul

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
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM or not _copyable(model, objs):
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
        table = connection.ops.quote_name(opts.db_table)
        if missing:  # their ids, from the table's own sequence, in order
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, opts.pk.column, len(missing)],
            )
            for obj, (new_id,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = new_id
        # Every value made text-ready here, before the COPY starts: a JSON value that cannot be
        # written fails now, as in bulk_create, not half-way through a statement.
        columns = [_json_as_text(column_values(field, objs)) for field in fields]
        statement = "COPY {} ({}) FROM STDIN".format(
            table, ", ".join(connection.ops.quote_name(field.column) for field in fields)
        )
        rows = list(zip(*columns, strict=True))
        # Through the connection's execute wrappers, as every statement goes, and Django's
        # error wrapping (an IntegrityError is Django's, not psycopg's); logged as Django logs.
        logged = cursor.debug_sql(f"{statement} -- {len(objs)} rows") if connection.queries_logged else nullcontext()
        with logged:
            cursor._execute_with_wrappers(statement, rows, many=True, executor=_copy)
        if cursor.cursor.rowcount != len(rows):  # a wrapper that swallowed the rows, say
            raise DatabaseError(f"COPY wrote {cursor.cursor.rowcount} rows of {len(rows)} into {opts.db_table}")


def _copy(statement: str, rows, many: bool, context: dict) -> None:
    database = context["connection"]
    database.validate_no_broken_transaction()
    try:
        with database.wrap_database_errors, context["cursor"].cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except Exception:
        # A COPY that failed, for whatever reason, has ended PostgreSQL's transaction: Django
        # is told, so the next statement in it is refused clearly rather than by the server.
        if database.in_atomic_block:
            transaction.set_rollback(True, using=database.alias)
        raise


def _json_as_text(column: list) -> list:
    """A column's JSON values as the text COPY sends (a value shared by the batch, once)."""
    from psycopg.types.json import Json, Jsonb  # PostgreSQL's driver: only this path needs it

    if not column or not isinstance(column[0], Json | Jsonb):
        return column
    texts = {}
    for value in column:
        if id(value) not in texts:
            texts[id(value)] = (value.dumps or json.dumps)(value.obj)
    return [texts[id(value)] for value in column]


def _copyable(model: type[Model], objs: list[Model]) -> bool:
    """Whether COPY writes what bulk_create would: no field fills itself in on saving (auto_now,
    a database default or a generated column), the table is the model's own, no value is an
    expression for the database to work out (`Now()`), and no object is there twice."""
    opts = model._meta
    if opts.parents or opts.proxy or len({id(obj) for obj in objs}) != len(objs):
        return False
    if any(hasattr(value, "resolve_expression") for obj in objs for value in obj.__dict__.values()):
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
    if _one_value(values):
        prepared = [field.get_db_prep_save(first, connection)] * len(values)
    else:
        as_is = _AS_IS.get((field.target_field if field.is_relation else field).get_internal_type())
        prepared = [
            value if value is None or type(value) is as_is else field.get_db_prep_save(value, connection)
            for value in values
        ]
    refuse_nul(prepared)  # as every other statement's values are (core.postgresql.base)
    return prepared


def _one_value(values: list) -> bool:
    """Whether the batch shares one value, which then is prepared once: the same object (the
    sweep's `now`), the same plain text, number, truth value or None, or all empty `{}` / `[]`.
    Not values only equal (1 == 1.0 == True in a dict; one wall-clock time on two sides of a
    clock change), which would be written as the first."""
    first = values[0]
    kind = type(first)
    if all(value is first for value in values):
        return True
    if kind in (str, int, bool):
        return all(type(value) is kind and value == first for value in values)
    if kind in (dict, list) and not first:
        return all(type(value) is kind and not value for value in values)
    return False
