"""Where alerts go besides the in-app inbox. An adapter (SMS, e-mail) implements `Channel`
and is named by dotted path in settings.ZHITONG_ALERT_CHANNELS."""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Notification


class Channel(Protocol):
    def send(self, notifications: list[Notification]) -> None:
        """Deliver the notifications; raise to have the Celery task retried."""


def extra_channels() -> list[tuple[str, Channel]]:
    """(dotted path, channel) for each extra channel set up; the path names it in the record
    of which channels took an alert."""
    return _channels(tuple(settings.ZHITONG_ALERT_CHANNELS))


@cache
def _channels(paths: tuple[str, ...]) -> list[tuple[str, Channel]]:
    return [(path, import_string(path)()) for path in paths]
