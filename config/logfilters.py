"""Logging filters (LOGGING in config/settings/base.py)."""

import logging
import re

# Open311 clients send their key in the query string (`?api_key=...`), where it would reach
# every log line that prints a request's URL. Also its percent-encoded spelling.
_SECRET_PARAMETER = re.compile(r"(?i)\b(api(?:_|%5f)key=)[^&\s\"'#]*")
# A resident's page (`/r/<id>/<key>/`) and a survey link (`/q/<token>/`) carry their secret in
# the path: a 404 for an expired link, or the development server's request line, would put it in
# the log, and anyone who reads the log could open the resident's page.
_SECRET_PATH = re.compile(r"(/(?:r/\d+|q)/)[A-Za-z0-9_:.%-]{8,}")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with the value of every `api_key=` and every link secret replaced by [redacted]."""
    return _SECRET_PATH.sub(rf"\g<1>{REDACTED}", _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", text))


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message carries an `api_key=` value or a link's secret: the message is formatted
    once, redacted, and kept without its arguments. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        if "key" in message.lower() or "/r/" in message or "/q/" in message:
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True
