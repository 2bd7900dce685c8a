"""Logging filters (LOGGING in config/settings/base.py)."""

import logging
import re

# Open311 clients send their key in the query string (`?api_key=...`), where it would reach
# every log line that prints a request's URL. Also its percent-encoded spelling.
_SECRET_PARAMETER = re.compile(r"(?i)\b(api(?:_|%5f)key=)[^&\s\"'#]*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with the value of every `api_key=` replaced by [redacted]."""
    return _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message carries an `api_key=` value: the message is formatted
    once, redacted, and kept without its arguments. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        if "key" in message.lower():
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True
