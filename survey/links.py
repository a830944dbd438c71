"""Absolute links for emails and pages, built from HEARKEN_BASE_URL and never from the request's Host
header (which a client controls)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def base_url_adapter() -> MapAdapter:
    """URL building bound to HEARKEN_BASE_URL."""
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme)


def external_url(endpoint: str, **values) -> str:
    return base_url_adapter().build(endpoint, values, force_external=True)
