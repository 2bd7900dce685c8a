"""Django's PostgreSQL backend, reading timestamps at the speed of psycopg's C loaders.

Django (5.2, with psycopg 3) reads every `timestamptz` through its own loader, a subclass of
psycopg's pure-Python one (the C loader cannot be subclassed): about 6 µs a value, and a ticket
row carries fifteen of them, so a queue page of 50 rows spent 3 ms there and the duplicate
suggestions' 200 candidates 1.2 ms (Django ticket #36960, psycopg issue #1273). This loader
answers what Django's answers — the wall time PostgreSQL wrote, in the connection's time zone,
with Django's tzinfo — parsing the ISO text with `datetime.fromisoformat` (in C), and hands
anything else (infinity, dates BC, another DateStyle) to Django's.

Set as the ENGINE of every PostgreSQL database in config.settings.base."""

from datetime import datetime
from functools import lru_cache

from django.db.backends.postgresql import base

if base.is_psycopg3:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

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


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if base.is_psycopg3:
            connection.adapters.register_loader("timestamptz", timestamp_loader(self.timezone))
        return connection
