"""Likely duplicates: open tickets that may be the same problem as a new report.

Chinese has no spaces between words, so descriptions are compared by their character
bigrams (two characters side by side), after NFKC (full-width letters and digits become
half-width), lower case, and with punctuation and spaces removed. The score is the Dice
coefficient of the two bigram sets, 2·|A∩B| / (|A|+|B|), from 0 (nothing shared) to 1.
Words every request carries ("市民反映", "希望尽快处理") are left out first, so two reports
are not alike merely for being written in the hotline's register.

Candidates are the open tickets the caller may see, of the same building — or of the same
zone and category — filed within the category's window (`Category.duplicate_window_days`).
Of those, one in the same building with the same category is always shown; any other only
when its text is alike enough (`THRESHOLD`, chosen on the labelled pairs in
tests/data/duplicate_pairs.tsv: `bench/duplicates.py` prints precision and recall).
A suggestion is a suggestion: nothing is refused on a guess."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from core.enums import OPEN_STATUSES

from .models import Building, Category, Household, Ticket

THRESHOLD = 0.34
LIMIT = 5
SCANNED = 200  # the newest candidates compared, at most

# The hotline's and the desk's set phrases: they say nothing about the problem.
BOILERPLATE = (
    "市民来电反映",
    "市民反映",
    "来电反映",
    "居民反映",
    "反映",
    "诉求",
    "希望",
    "要求",
    "请求",
    "尽快",
    "相关部门",
    "有关部门",
    "处理",
    "解决",
    "问题",
    "情况",
    "现在",
    "目前",
    "一直",
    "已经",
    "还是",
    "我们",
    "这个",
)
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    for phrase in BOILERPLATE:
        text = text.replace(phrase, " ")
    return _NOT_TEXT.sub("", text)


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of the normalized text (the text itself when one character)."""
    plain = normalized(text)
    if len(plain) < 2:
        return frozenset([plain]) if plain else frozenset()
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def similarity(a: str | frozenset, b: str | frozenset) -> float:
    """Dice coefficient of the two texts' bigrams (texts or bigram sets)."""
    first = a if isinstance(a, frozenset) else bigrams(a)
    second = b if isinstance(b, frozenset) else bigrams(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


@dataclass(frozen=True)
class Suggestion:
    ticket: Ticket
    score: float
    same_building: bool


def likely_duplicates(
    visible: QuerySet[Ticket],
    *,
    category: Category | None,
    description: str,
    household: Household | None = None,
    building: Building | None = None,
    zone_id: int | None = None,
    now: dt.datetime | None = None,
    exclude: int | None = None,
    limit: int = LIMIT,
) -> list[Suggestion]:
    """The open tickets of `visible` (the caller's tickets) most like the new report, best first."""
    if household is not None:
        building = building or household.building
        zone_id = zone_id or household.zone_id
    if building is None and (zone_id is None or category is None):
        return []
    days = category.duplicate_window_days if category is not None else Category.DEFAULT_DUPLICATE_WINDOW_DAYS
    since = (now or timezone.now()) - dt.timedelta(days=days)
    where = Q()
    if building is not None:
        where |= Q(household__building=building)
    if zone_id is not None and category is not None:
        where |= Q(zone_id=zone_id, category=category)
    candidates = (
        visible.filter(where, status__in=OPEN_STATUSES, created_at__gte=since)
        .exclude(pk=exclude)
        .select_related(None)
        .select_related("household")
        .only("id", "reference", "description", "category_id", "created_at", "household__building_id")
        .order_by("-created_at")[:SCANNED]
    )
    new = bigrams(description)
    found = []
    for ticket in candidates:
        score = similarity(new, ticket.description)
        same_building = (
            building is not None and ticket.household is not None and ticket.household.building_id == building.pk
        )
        if score >= THRESHOLD or (same_building and category is not None and ticket.category_id == category.pk):
            found.append(Suggestion(ticket, round(score, 2), same_building))
    found.sort(key=lambda s: (s.score, s.same_building, s.ticket.created_at), reverse=True)
    return found[:limit]
