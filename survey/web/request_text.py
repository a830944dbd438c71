"""Text no database can hold is refused at the door.

PostgreSQL cannot store or even compare a string holding NUL (U+0000): a query with one fails, whatever
the query is for. No person types one, and no browser sends one from a text field, so a request that
carries one in its query string, its form fields or an uploaded file's name is refused with a 400 page that
says why, before any view runs; an address holding one is no address of ours (404). The JSON API checks the
same at its own border, naming the field, and the CSV importers refuse files holding NUL by line number.
"""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest

NUL = "\x00"


class CarriesNul(BadRequest):
    """An HTTP error with a `title` brings its own words to the error page (views/errors.py)."""

    title = "Something in that request was not right"
    description = "It contained a character we cannot store (NUL). Please remove it and try again."


def is_api_request() -> bool:
    # Paths under the API that match no route (404, 405) never reach the API blueprint's own handlers.
    return request.path == "/api" or request.path.startswith("/api/")


def one_line_break(text: str) -> str:
    """A browser posts each line break of a textarea as CRLF, but counts it as one character against the
    field's maxlength: kept as LF, a text the browser allowed is never refused as too long."""
    return text.replace("\r\n", "\n")


def carries_nul() -> bool:
    texts = [*request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values(),
                  *(upload.filename or "" for upload in request.files.values())]
    return any(NUL in text for text in texts)


def init_app(app: Flask) -> None:
    """Registered after the upload size limit (so an oversized body is still a 413, unread) and before
    CSRFProtect."""
    @app.before_request
    def refuse_nul():
        if is_api_request():
            return
        if NUL in request.path:
            abort(404)
        if carries_nul():
            raise CarriesNul()
