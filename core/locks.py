"""Every row lock the application takes, in one place (Saleor's `lock_objects.py`).

Two code paths that lock the same rows in different orders can deadlock; here every lock
of several rows takes them in primary-key order, and every lock is FOR NO KEY UPDATE unless
a key changes (none of ours does), so rows that merely reference a locked one (a ticket's
events, a meeting's agenda) can still be inserted meanwhile. Callers must already be inside
`transaction.atomic()`: a lock lives until its transaction ends. A test keeps
`select_for_update` out of every other module.
"""

from django.db.models import Model, QuerySet


def lock_one(queryset: QuerySet, pk=None) -> Model:
    """The row `pk` of `queryset` (or its one row), locked and freshly read; DoesNotExist if
    it is not there."""
    queryset = queryset.select_for_update(of=("self",), no_key=True)
    return queryset.get() if pk is None else queryset.get(pk=pk)


def lock_one_or_none(queryset: QuerySet, pk) -> Model | None:
    """As `lock_one`, but None if the row is gone (deleted, or outside `queryset`)."""
    return queryset.select_for_update(of=("self",), no_key=True).filter(pk=pk).first()


def lock_many(queryset: QuerySet) -> list[Model]:
    """Every row of `queryset`, locked in key order."""
    return list(queryset.select_for_update(of=("self",), no_key=True).order_by("pk"))


def claim(queryset: QuerySet, *, order_by: str, limit: int) -> list[Model]:
    """Up to `limit` rows of `queryset` that no other transaction holds, in `order_by` then
    key order, locked: how the sweep, the alert sender and the webhook sender share work
    between workers without waiting on each other."""
    return list(
        queryset.select_for_update(of=("self",), skip_locked=True, no_key=True).order_by(order_by, "pk")[:limit]
    )


def claim_one(queryset: QuerySet, pk) -> Model | None:
    """Row `pk` of `queryset` if no other transaction holds it, locked; else None."""
    return queryset.select_for_update(of=("self",), skip_locked=True, no_key=True).filter(pk=pk).first()
