"""Django's PostgreSQL backend, reading timestamps at the speed of psycopg's C loaders.

Django (5.2, with psycopg 3) reads every `timestamptz` through its own loader, a subclass of
psycopg's pure-Python one (the C loader cannot be subclassed): about 6 µs a value, and a ticket
row carries fifteen of them, so a queue page of 50 rows spent 3 ms there and the duplicate
suggestions' 200 candidates 1.2 ms (Django ticket #36960, psycopg issue #1273). This loader
answers what Django's answers — the wall time PostgreSQL wrote, in the connection's time zone,
with Django's tzinfo — parsing the ISO text with `datetime.fromisoformat` (in C), and hands
anything else (infinity, dates BC, another DateStyle) to Django's.

And it refuses a NUL character in a statement's parameters before sending it, with psycopg2's
ValueError: PostgreSQL text cannot hold one, and with parameters bound by the server it answered
a DataError, which nothing expects (a 500), where Django's and DRF's fields turn the ValueError
into "not a valid choice" (a 400 naming the field).

And it sends a statement that searches text (LIKE) with its values written in (bound by psycopg
on this side, as psycopg2 did), never prepared: with prepared statements (config.settings.base,
ZHITONG_DATABASE_PREPARE_THRESHOLD) PostgreSQL plans a statement's first five runs for their
values, then keeps one generic plan if its estimate looks no dearer — and for a search, whose
best plan depends on the words, that estimate lies: on 3 million tickets the queue's counts for
a phone number went from 5 ms to 1.2 s at the tenth search on a connection (its trigram indexes
left for a walk of a million open tickets). Searched again, a search is planned again, for its
own words — also inside `core.plans.generic_plans`, which asks every statement with values for
a generic plan.

Set as the ENGINE of every PostgreSQL database in config.settings.base."""

from datetime import datetime
from functools import lru_cache

from django.db.backends.postgresql import base

if base.is_psycopg3:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg import ClientCursor

    @lru_cache
    def timestamp_loader(timezone):
        """The loader of `timestamptz` values for a connection in `timezone` (one class per zone:
        Django compares its `timezone` before each cursor and keeps it when they agree)."""

        class TimestampLoader(BaseTzLoader):
            def load(self, data):
                try:
                    value = datetime.fromisoformat(bytes(data).decode())
                except ValueError:
                    return super().load(data)
                return value if value.tzinfo is self.timezone else value.replace(tzinfo=self.timezone)

        TimestampLoader.timezone = timezone
        return TimestampLoader


NUL_REFUSED = "A string literal cannot contain NUL (0x00) characters."  # psycopg2's words


def refuse_nul(params) -> None:
    """ValueError if a parameter (or an item of a list parameter) is text with a NUL in it."""
    if not params:
        return
    for value in params.values() if isinstance(params, dict) else params:
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(NUL_REFUSED)
        elif isinstance(value, list | tuple) and any(isinstance(item, str) and "\x00" in item for item in value):
            raise ValueError(NUL_REFUSED)


# A statement that searches text, planned for each run's words and never prepared: the
# operators Django writes for one (LIKE and ILIKE for contains, icontains, startswith…; ~ and
# ~* for regex; pg_trgm's %> and <% lookups; SIMILAR TO). Plain substrings, as Django writes
# them: every statement passes here, and a case-blind regular expression over a queue's 2 kB
# statement cost 170 µs, a dozen times a page.
TEXT_SEARCH_OPERATORS = ("LIKE ", " ~ ", " ~* ", "%>", "<%", "SIMILAR TO")


def searches_text(query) -> bool:
    return isinstance(query, str) and any(operator in query for operator in TEXT_SEARCH_OPERATORS)


if base.is_psycopg3:

    class ServerBindingCursor(base.ServerBindingCursor):
        def execute(self, query, params=None, *args, prepare=None, **kwargs):
            refuse_nul(params)
            if prepare is None and searches_text(query):
                if params:
                    # The values written in: a statement without parameters has one plan,
                    # made for them, whatever plan_cache_mode says.
                    query, params = ClientCursor(self.connection).mogrify(query, params), None
                prepare = False
            return super().execute(query, params, *args, prepare=prepare, **kwargs)

        def executemany(self, query, params_seq, *args, **kwargs):
            params_seq = list(params_seq)
            for params in params_seq:
                refuse_nul(params)
            return super().executemany(query, params_seq, *args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if base.is_psycopg3 and params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if base.is_psycopg3:
            connection.adapters.register_loader("timestamptz", timestamp_loader(self.timezone))
        return connection
