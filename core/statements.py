"""Hot statements compiled once per shape, not once per request.

Django builds a queryset and compiles its SQL anew every time it runs: for the duplicate
candidates a partner's create reads, that cost the web process about three times what
PostgreSQL spent running the statement (bench/api.py --profile). A statement here is built
and compiled once per process for each *shape* (the caller's key, with the types and lengths
of its values), with stand-in values in its slots; each later run puts its own values where
the stand-ins came out in the compiled parameters and sends the same SQL.

A shape is kept only when the stand-ins come out unchanged and the rows need no converting:
a value a field converts or writes into the SQL, or a column Django converts on reading (on
SQLite, a date), leaves the shape uncompiled, and it is built and run through the ORM each
time, as before. The queryset stays the one statement of what is read: `rows(key, build,
*values)` answers what `list(build(*values))` answers (tests/test_statements.py), so nothing
here restates a query.

What decides the SQL but is not a value (which filters apply, a scope narrowed in the
statement) belongs in the key: the caller's `build` must give one SQL text per key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

# Shapes kept per process, the least recently used dropped beyond this (a building's list of
# households is a shape per length).
KEPT = 256
# Stand-ins, one per slot, in two sets (`_compile`): ids far below zero and small positive ones,
# moments in 1901 and 1907.
_FIRST_ID, _SECOND_ID = -7_301_000_000, 7_001
_FIRST_MOMENT, _SECOND_MOMENT = dt.datetime(1901, 1, 1, tzinfo=dt.UTC), dt.datetime(1907, 3, 5, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Compiled:
    model: type
    vendor: str
    sql: str
    params: tuple
    # For each param, where its value comes from: (slot, index in a sequence slot or None),
    # or None for a constant of the shape.
    sources: tuple[tuple[int, int | None] | None, ...]


_kept: OrderedDict[tuple, _Compiled | None] = OrderedDict()
_lock = threading.Lock()  # a worker's threads share the shapes
_UNSEEN = object()


def rows(key: tuple, build: Callable[..., QuerySet], *values, using: str | None = None) -> list[tuple]:
    """The rows of `build(*values)` (a queryset of tuples: `values_list`), by its SQL compiled
    once for `key` and the values' kinds. `values` are ints, aware datetimes, strings or
    sequences of ints; None, or any other kind, is not a value here (key the shape on it).
    The database is chosen for each call, as the queryset's would be (`using`, else the
    routers'): a shape compiled during a read on the replica is not pinned to it."""
    shape = (key, *(_kind(value) for value in values))
    with _lock:
        compiled = _kept.get(shape, _UNSEEN)
        if compiled is not _UNSEEN:
            _kept.move_to_end(shape)
    if compiled is _UNSEEN:
        compiled = _compile(build, values, using)
        with _lock:
            _kept[shape] = compiled
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
    database = None if compiled is None else using or router.db_for_read(compiled.model)
    if compiled is None or connections[database].vendor != compiled.vendor:
        queryset = build(*values)
        return list(queryset.using(using) if using else queryset)
    params = [
        value if source is None else values[source[0]] if source[1] is None else values[source[0]][source[1]]
        for value, source in zip(compiled.params, compiled.sources, strict=True)
    ]
    with connections[database].cursor() as cursor:
        cursor.execute(compiled.sql, params)
        return cursor.fetchall()


def _kind(value) -> tuple:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not a statement value: {value!r} (key the shape on it instead)")
    if isinstance(value, int):
        return (int,)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("a statement's datetime must be aware")
        return (dt.datetime,)
    if isinstance(value, str):
        return (str,)
    if isinstance(value, Sequence) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return (list, len(value))
    raise TypeError(f"not a statement value: {value!r}")


def _compile(build: Callable[..., QuerySet], values: tuple, using: str | None) -> _Compiled | None:
    """The statement of `build` with stand-ins in its slots, and where each came out; None when
    the statement is not the same SQL whatever the values, or its rows are not plain tuples.

    It is compiled twice, with two unrelated sets of stand-ins (ids far below zero, then small
    positive ones; moments in 1901, then in 1907), and kept only if both give the same SQL,
    each stand-in comes out as itself in the same places, and every other parameter is the
    same: a value the statement derives from a slot (`since + 2 days`), converts (`__date`),
    drops (an id out of a field's range) or branches on would differ between the two."""
    first = _compiled_with(build, _stand_ins(values, _FIRST_ID, -1, _FIRST_MOMENT), using)
    if first is None:
        return None
    second = _compiled_with(build, _stand_ins(values, _SECOND_ID, 2, _SECOND_MOMENT), using)
    if second is None or (first.sql, first.sources) != (second.sql, second.sources):
        return None
    constants = [(a, b) for a, b, source in zip(first.params, second.params, first.sources, strict=True) if not source]
    if any(a != b or type(a) is not type(b) for a, b in constants):
        return None
    return first


def _stand_ins(values: tuple, first_id: int, step: int, moment: dt.datetime) -> list:
    ids = itertools.count(first_id, step)
    stand_ins = []
    for value in values:
        if isinstance(value, int):
            stand_ins.append(next(ids))
        elif isinstance(value, dt.datetime):
            stand_ins.append(moment + dt.timedelta(microseconds=len(stand_ins) + 1))
        elif isinstance(value, str):
            stand_ins.append(f"\x1fslot {len(stand_ins)} {first_id}\x1f")
        else:
            stand_ins.append([next(ids) for _ in value])
    return stand_ins


def _compiled_with(build: Callable[..., QuerySet], stand_ins: list, using: str | None) -> _Compiled | None:
    queryset = build(*stand_ins)
    if using:
        queryset = queryset.using(using)
    if queryset._iterable_class is not ValuesListIterable:
        return None  # flat, named, values() or model rows: list(queryset) is not the cursor's rows
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # no row can match (an empty list of ids): the ORM says so each time
        return None
    columns = [column for column, _, _ in compiler.select]
    if compiler.get_converters(columns):
        return None
    where = {}
    for slot, stand_in in enumerate(stand_ins):
        if isinstance(stand_in, list):
            where.update({(type(v), v): (slot, index) for index, v in enumerate(stand_in)})
        else:
            where[(type(stand_in), stand_in)] = (slot, None)
    sources = tuple(where.get((type(param), param)) if _hashable(param) else None for param in params)
    if set(where.values()) - set(sources):
        return None  # a stand-in was converted, written into the SQL or left out
    return _Compiled(queryset.model, connections[queryset.db].vendor, sql, tuple(params), sources)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
