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

What is not a generic plan's business stays out of it: a text search is sent with its words
written in (core.postgresql), so it is planned for them even here. Without prepared statements
(ZHITONG_DATABASE_PREPARE_THRESHOLD=off, for a pooler that hands a session's settings on to the
next client) and on SQLite, the block changes nothing."""

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


@contextmanager
def generic_plans(using: str = DEFAULT_DB_ALIAS):
    """Run the block's statements on `using` with generic plans (evaluate querysets inside it)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
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
