"""Request size limits: small for every request (HEARKEN_MAX_CONTENT_LENGTH), larger for the pages that
take files (HEARKEN_MAX_UPLOAD_LENGTH). Set before anything reads the body, so an oversized request gets the
friendly 413 page and nothing is parsed."""
from __future__ import annotations

from flask import Flask, request

UPLOAD_ENDPOINTS = {"manage.contacts.import_contacts", "manage.imports.import_responses", "api.import_responses"}


def init_app(app: Flask) -> None:
    @app.before_request
    def allow_uploads():
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["MAX_UPLOAD_LENGTH"]
