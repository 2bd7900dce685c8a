"""Generic plans for the lists' statements, planned once per connection instead of every time.

PostgreSQL plans a prepared statement's first five runs for their values, then keeps one generic
plan only if its estimate looks no dearer than theirs. For the queue's counts and rows it never
does: a deadline compared with the moment, or one person's tickets, always looks cheaper when
the value is known, so every run is planned anew — and planning those statements costs more than
running them (the queue's cards, "overdue only", on the demo street: 10 ms to plan, 1 ms to run;
most of it PostgreSQL proving, for each of the ticket table's partial indexes, whether the
statement's conditions imply the index's). The plan is the same for every value that matters
(the same indexes, read in the same order), so these statements are asked for a generic plan:
`plan_cache_mode = force_generic_plan` for the block, reset after it.

A generic plan knows nothing of its parameters, so it cannot use a partial index whose
condition names a value passed as one: on the city data, with the open statuses as parameters,
the queue's cards became a walk of the street's three million tickets (4 ms -> 1.9 s). The
ticket's status is therefore written into the statement (`literal_values`: `status IN ('new',
…)`, a handful of fixed words), and each statement with its statuses is one prepared statement.

What is not a generic plan's business stays out of it: a text search is sent with its words
written in (core.postgresql), so it is planned for them even here — once a page: the queue
reads a search's matches once, then lists and counts them by their ids (`among`,
grievances.selectors.search_matches). And where the best plan depends on a value that is not
a status — how many of a committee's tickets are of one category varies from none to most —
the caller does not ask (`escalation.views.queue`). Without prepared statements
(ZHITONG_DATABASE_PREPARE_THRESHOLD=off, for a pooler that hands a session's settings on to
the next client) and on SQLite, the block changes nothing."""

import re
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import lookups
from django.db.models.expressions import RawSQL

_WORD = re.compile(r"[a-z_]+")


@contextmanager
def generic_plans(using: str = DEFAULT_DB_ALIAS, *, when: bool = True):
    """Run the block's statements on `using` with generic plans (evaluate querysets inside it);
    with `when` false, as PostgreSQL chooses."""
    connection = connections[using]
    options = connection.settings_dict["OPTIONS"]
    if not when or connection.vendor != "postgresql" or options.get("prepare_threshold") is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")
        except DatabaseError:
            # A connection that cannot take a RESET is broken: a new one starts with the default.
            connection.close()


def literal_values(field, values) -> None:
    """Write `field`'s `exact` and `in` comparisons with any of `values` (lower-case words) into
    the statement instead of passing them as parameters; anything else is still a parameter."""
    known = frozenset(values)
    if not all(_WORD.fullmatch(value) for value in known):
        raise ValueError("only lower-case words can be written into a statement")

    def written(lookup) -> bool:
        rhs = lookup.rhs if isinstance(lookup.rhs, list | tuple | set | frozenset) else [lookup.rhs]
        return lookup.rhs_is_direct_value() and bool(rhs) and all(value in known for value in rhs)

    class Exact(lookups.Exact):
        def process_rhs(self, compiler, connection):
            if written(self):
                return f"'{self.rhs}'", []
            return super().process_rhs(compiler, connection)

    class In(lookups.In):
        def process_rhs(self, compiler, connection):
            if written(self):
                # In the order given: written as a partial index's condition is, the two compare
                # equal at once instead of value by value.
                return "(" + ", ".join(f"'{value}'" for value in dict.fromkeys(self.rhs)) + ")", []
            return super().process_rhs(compiler, connection)

    field.register_lookup(Exact)
    field.register_lookup(In)


def among(ids, using: str = DEFAULT_DB_ALIAS):
    """`ids` (integers) for a `pk__in=`: on PostgreSQL one array parameter, `IN (SELECT
    unnest(%s::bigint[]))`, so that the statement's text, and the generic plan kept for it, are
    the same however many ids there are (a list writes one placeholder each: a new statement,
    planned again, for every length); elsewhere the list itself."""
    ids = [int(pk) for pk in ids]
    if connections[using].vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
