"""Reading and submitting HTML forms the way a browser would (CSRF token and hidden fields included)."""
from __future__ import annotations

import re
from html import unescape

from tests.factories import PASSWORD

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    return fields


def csrf_token(client, url: str = "/login") -> str:
    return hidden_fields(client.get(url).get_data(as_text=True))["csrf_token"]


def post_form(client, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
    """POST to url with the hidden fields of `page` (default: url itself) plus data."""
    fields = hidden_fields(client.get(page or url).get_data(as_text=True))
    fields.update(data or {})
    return client.post(url, data=fields, **kwargs)


def log_in(client, email: str, password: str = PASSWORD):
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))
