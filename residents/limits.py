"""Counting guesses at residents' pages in Redis (the cache), failing safe.

The look-up form takes a reference and the last four digits of a phone: 10,000 guesses
would find any ticket, so attempts are counted per address and misses per reference, and a
reference with ZHITONG_RESIDENT_MISSES_PER_REFERENCE misses is locked for
ZHITONG_RESIDENT_LOCK_MINUTES whoever asks. Without Redis the form answers "try later":
counting nothing must not mean allowing everything. Wrong links are counted per address
too; a right link works without Redis (its key has 96 bits: counting is not what protects it).
"""

import contextlib
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class LimitsUnavailable(Exception):
    """Redis did not answer: the caller refuses rather than counts nothing."""


def _window() -> int:
    return settings.ZHITONG_RESIDENT_LOCK_MINUTES * 60


def _count(key: str) -> int:
    try:
        cache.add(key, 0, timeout=_window())
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=_window())
        return 1
    except Exception as error:  # noqa: BLE001 - any Redis trouble: fail safe
        logger.warning("Residents' look-up limits unavailable: %s", error)
        raise LimitsUnavailable from error


def _read(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception as error:  # noqa: BLE001
        logger.warning("Residents' look-up limits unavailable: %s", error)
        raise LimitsUnavailable from error


def _ref_key(reference: str) -> str:
    return f"residents:miss:ref:{reference.strip().upper()}"


def lookup_allowed(address: str, reference: str) -> bool:
    """Counts this attempt from `address`; False when the address or the reference is over
    its limit. Raises LimitsUnavailable without Redis."""
    attempts = _count(f"residents:lookup:ip:{address}")
    if attempts > settings.ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS:
        return False
    return _read(_ref_key(reference)) < settings.ZHITONG_RESIDENT_MISSES_PER_REFERENCE


def lookup_missed(reference: str) -> None:
    _count(_ref_key(reference))


def link_blocked(address: str) -> bool:
    """Too many wrong links from this address (False without Redis: see above)."""
    try:
        return _read(f"residents:badlink:ip:{address}") >= settings.ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS
    except LimitsUnavailable:
        return False


def link_missed(address: str) -> None:
    with contextlib.suppress(LimitsUnavailable):
        _count(f"residents:badlink:ip:{address}")
