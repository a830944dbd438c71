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

from flask import Flask

REDACTED = "[redacted]"
# A path that starts with /r/ or /unsubscribe/ (after a space, a quote or "=", or after the scheme and host
# of a full URL), then the token; and API tokens anywhere.
_SECRETS = re.compile(r"(?P<path>(?:^|(?<=[\s\"'=(]))(?:https?://[^/\s\"']+)?/(?:r|unsubscribe)/)[^/?#\s\"']+"
                      r"|(?P<api>\bhk_)[A-Za-z0-9_-]+")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return _SECRETS.sub(lambda match: (match["path"] or match["api"]) + REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def init_app(app: Flask) -> None:
    for logger in [*map(logging.getLogger, LOGGERS), app.logger]:
        if not any(isinstance(existing, TokenRedactingFilter) for existing in logger.filters):
            logger.addFilter(TokenRedactingFilter())
