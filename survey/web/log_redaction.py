"""Secret tokens never reach a log.

Personal survey links (/r/<token>) and unsubscribe links (/unsubscribe/<token>) carry their credential in
the path, and every access log prints paths: the development server's (logger "werkzeug") and gunicorn's
("gunicorn.access", and "gunicorn.error" for bad requests). A filter on those loggers, and on the app's
own, rewrites each record's message with the token replaced before any handler formats it, whatever the
log format; API tokens (hk_…), which a custom access-log format could print from the Authorization
header, are replaced too.
"""
from __future__ import annotations

import logging
import re
from functools import cache
from urllib.parse import urlsplit

from flask import Flask

REDACTED = "[redacted]"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


@cache
def _secrets(prefix: str) -> re.Pattern:
    """A path that starts with /r/ or /unsubscribe/ — after a space, a quote or "=", or after the scheme and
    host of a full URL, and perhaps after `prefix`, the path Hearken is served under (BASE_URL's) — then the
    token; and API tokens anywhere."""
    under = f"(?:{re.escape(prefix)})?" if prefix else ""
    return re.compile(rf"(?P<path>(?:^|(?<=[\s\"'=(]))(?:https?://[^/\s\"']+)?{under}/(?:r|unsubscribe)/)"
                      r"[^/?#\s\"']+|(?P<api>\bhk_)[A-Za-z0-9_-]+")


def redact(text: str, prefix: str = "") -> str:
    return _secrets(prefix).sub(lambda match: (match["path"] or match["api"]) + REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    def __init__(self, prefix: str = ""):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self.prefix)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def init_app(app: Flask) -> None:
    prefix = urlsplit(app.config["BASE_URL"]).path.rstrip("/")  # https://host/feedback: paths under /feedback
    for logger in [*map(logging.getLogger, LOGGERS), app.logger]:
        if not any(isinstance(existing, TokenRedactingFilter) for existing in logger.filters):
            logger.addFilter(TokenRedactingFilter(prefix))
