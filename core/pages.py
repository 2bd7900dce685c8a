"""Paging for the screens' lists, and counts that stop at a cap.

A list or a counter card counts its rows only up to `COUNT_CAP`: beyond that it says "1,000+"
and its pages stop there. Counting every match on every page would cost what the street has
ever had (a city street's open tickets, its whole history with "every status"); a person
narrows a list that long with the filters or a search, and no one pages past the twentieth
page of fifty."""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import cached_property

PAGE_SIZE = 50
COUNT_CAP = 1000


class CappedCount(int):
    """A count that stopped at `cap`: its number is cap + 1 when there are more, and it reads
    "1,000+" then (in templates, `{{ count }}`; compare it as an int)."""

    def __new__(cls, value: int, cap: int):
        count = super().__new__(cls, value)
        count.cap = cap
        return count

    @property
    def more(self) -> bool:
        return self > self.cap

    def __str__(self) -> str:
        if self.more:
            return f"{number_format(self.cap, force_grouping=True)}+"
        return str(int(self))

    def __html__(self) -> str:
        return str(self)


def capped_counts(querysets: dict[str, QuerySet], cap: int | None = None) -> dict[str, CappedCount]:
    """How many rows each queryset has, counted up to cap + 1 (default COUNT_CAP), in one
    round trip: each is a `SELECT count(*) FROM (... LIMIT cap + 1)`, so a count reads at most
    cap + 1 rows of an index that serves its conditions, however many there are."""
    cap = COUNT_CAP if cap is None else cap
    if not querysets:
        return {}
    parts, params = [], []
    database = next(iter(querysets.values())).db
    for index, queryset in enumerate(querysets.values()):
        try:
            sql, inner = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a condition no row can meet (`pk__in=[]`): none, unasked
            parts.append("0")
            continue
        parts.append(f"(SELECT count(*) FROM ({sql}) AS capped_{index})")
        params.extend(inner)
    with connections[database].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: CappedCount(value, cap) for name, value in zip(querysets, row, strict=True)}


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` rows: `count` stops there, `capped` says there
    are more (the pager says so and asks for a narrower list)."""

    def __init__(self, object_list, per_page, cap: int | None = None, count_of: QuerySet | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.count_of = count_of

    @cached_property
    def _counted(self) -> CappedCount:
        if self.count_of is not None:
            return capped_counts({"rows": self.count_of}, self.cap)["rows"]
        if isinstance(self.object_list, QuerySet):
            return capped_counts({"rows": self.object_list}, self.cap)["rows"]
        return CappedCount(min(len(self.object_list), self.cap + 1), self.cap)

    @cached_property
    def count(self) -> int:
        return min(int(self._counted), self.cap)

    @property
    def capped(self) -> bool:
        return self._counted.more


def page_of(request, queryset, size: int | None = None, count_of: QuerySet | None = None) -> Page:
    """The page the request asks for (`?page=`, PAGE_SIZE rows); a bad or too large number
    gives the nearest page. At most COUNT_CAP rows are counted and paged
    (`page.paginator.capped`: there are more). `count_of`, when given, is counted instead of
    `queryset`: the same rows, by a statement that may read them differently (a list that
    reads only as far as the asked page, `rows_wanted`, is counted by one that reads on).

    The first page is read before anything is counted, one row more than it shows: a list
    that fits on it (a search for an address or a phone, most people's own tickets) is
    counted by its rows, and the count's statement, which repeats the list's conditions
    (a search's among them), is not sent at all. A longer list is counted when the page
    shows its count, as before."""
    size = size or PAGE_SIZE
    paginator = CappedPaginator(queryset, size, count_of=count_of)
    if request.GET.get("page", "1") in ("", "1") and isinstance(queryset, QuerySet):
        rows = list(queryset[: size + 1])
        if len(rows) <= size:
            paginator.__dict__["_counted"] = CappedCount(len(rows), paginator.cap)
        return Page(rows[:size], 1, paginator)
    return paginator.get_page(request.GET.get("page"))


def rows_wanted(request, size: int | None = None) -> int:
    """How many rows of a list, from its start, the page the request asks for can show (one
    more: whether a next page exists). COUNT_CAP + 1 whenever the paginator may serve another
    page than the one named: no number (`last`, a mistyped one, `²`), a number below 1 (it
    serves the last page then) or one beyond the cap."""
    size = size or PAGE_SIZE
    try:
        number = int(request.GET.get("page", "1") or "1")
    except ValueError:
        return COUNT_CAP + 1
    if number < 1 or number * size > COUNT_CAP:
        return COUNT_CAP + 1
    return number * size + 1


def read_page(page: Page) -> Page:
    """`page` with its rows read and counted now (core.plans.generic_plans: inside the block,
    not when the template first loops over them or shows the pager)."""
    page.object_list = list(page.object_list)
    page.paginator.count  # noqa: B018  (counted here, kept by the paginator)
    return page
