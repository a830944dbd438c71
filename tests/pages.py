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


def export_workbook(client, url: str, *, page: str):
    """The responses as Excel, as a manager gets them: POST (with `page`'s CSRF token), the dispatcher writes
    the workbook, the job's page offers it; returns the download (or the POST's answer if it was refused)."""
    from survey.background import jobs  # the helpers stay importable without an application

    queued = post_form(client, url, page=page)
    if queued.status_code != 303:
        return queued
    with client.application.app_context():
        jobs.run_due()
    done = client.get(queued.location).get_data(as_text=True)
    link = re.search(r'href="(/manage/jobs/\d+/result)"', done)
    assert link, done
    return client.get(link.group(1))
