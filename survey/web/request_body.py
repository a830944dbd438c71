"""A request body the server cannot read is the client's mistake: 400, never 500.

The WSGI server decodes `Transfer-Encoding: chunked` while the application reads `wsgi.input`, so a
malformed chunk (a size of `ZZZ`, a missing CRLF, a body cut short) surfaces as an exception from that
read, wherever it happens: Flask-WTF reading the form, the respond page parsing answers, the API reading
JSON. Each server raises its own kind (gunicorn's `InvalidChunkSize`, a `ParseException`, or `NoMoreData`;
Werkzeug's development server an `OSError`), which reached Flask as an unhandled error: a 500 with a
traceback in the log. This middleware wraps `wsgi.input` so that any failure to read it is raised as
`BadRequest` instead, which the pages answer with their 400 page and the API with its 400 error shape,
logged as one line.
"""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import BadRequest, HTTPException

log = logging.getLogger(__name__)


class UnreadableBody(BadRequest):
    description = "The request body could not be read (a malformed or incomplete body)."


class _Body:
    """The server's `wsgi.input`, with every read error turned into `UnreadableBody`."""

    def __init__(self, stream):
        self._stream = stream

    def _read(self, method, *args):
        try:
            return method(*args)
        except HTTPException:
            raise
        except Exception as error:
            log.warning("unreadable request body answered 400: %s: %s", type(error).__name__, error)
            raise UnreadableBody() from error

    def read(self, *args):
        return self._read(self._stream.read, *args)

    def readline(self, *args):
        return self._read(self._stream.readline, *args)

    def readlines(self, *args):
        return self._read(self._stream.readlines, *args)

    def readinto(self, buffer):  # Werkzeug's streams use it; gunicorn's body has only read()
        if hasattr(self._stream, "readinto"):
            return self._read(self._stream.readinto, buffer)
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __getattr__(self, name):  # close(), and whatever else a server's stream offers
        return getattr(self._stream, name)


class BadBodiesAreBadRequests:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = _Body(stream)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    # Flask's documented way to add middleware, though it types wsgi_app as a method (python/mypy#7347).
    app.wsgi_app = BadBodiesAreBadRequests(app.wsgi_app)  # type: ignore[method-assign]
