"""Every input surface of Hearken, as functions that send one hostile payload and return the response.

A surface gets the test client it needs (anonymous, an admin's, or none for the API, which uses its bearer
token) through `World`, and one payload. Forms are posted the way a browser posts them, with the session's
CSRF token; invalid UTF-8 goes out as raw bytes in a hand-built body, as a hostile client would send it.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

from survey.tokens import new_token
from tests.pages import hidden_fields
from tests.security.payloads import Payload


@dataclass
class World:
    """What the surfaces act on: clients, a survey, a personal link, ids of stored rows, an API token."""

    app: object
    admin: object  # a logged-in admin's test client
    anonymous: object
    csrf: str  # the admin session's CSRF token
    slug: str  # published, with a response: answered, filtered, exported
    draft: str  # a draft without responses: authored (so edits change it in place, not as new versions)
    token: str  # a personal survey link's token
    unsubscribe_token: str
    api_token: str
    ids: dict[str, int] = field(default_factory=dict)  # response, case, change, contact, alert, endpoint
    counter: int = 0
    forms: dict[str, dict[str, str]] = field(default_factory=dict)  # page → its hidden fields, read once

    def hidden(self, url: str) -> dict[str, str]:
        """The hidden fields (CSRF token, form version) of the anonymous session's copy of a page: read once,
        as a person who keeps the page open and sends it many times."""
        if url not in self.forms:
            self.forms[url] = hidden_fields(self.anonymous.get(url).get_data(as_text=True))
        return dict(self.forms[url])

    def next_address(self) -> str:
        """A new client address per anonymous post, so the per-sender complaint limit (counted in the
        database) does not stop the payloads before they reach the code under test."""
        self.counter += 1
        return f"10.{self.counter // 65536 % 256}.{self.counter // 256 % 256}.{self.counter % 256}"


def form_bytes(payload: Payload) -> bytes:
    """The payload as a form field's raw bytes: invalid UTF-8 stays invalid."""
    return payload.raw if payload.raw is not None else payload.text.encode("utf-8", "surrogatepass")


def urlencoded(fields: dict[str, str | bytes]) -> bytes:
    pairs = []
    for name, value in fields.items():
        data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        pairs.append(quote_from_bytes(name.encode()) + "=" + quote_from_bytes(data, safe=""))
    return "&".join(pairs).encode("ascii")


def post(client, url: str, fields: dict, **kwargs):
    return client.post(url, data=urlencoded(fields), content_type="application/x-www-form-urlencoded", **kwargs)


BOUNDARY = b"hostile-boundary-7f3a"


def upload(client, url: str, fields: dict[str, str], name: str, filename: bytes, content: bytes):
    """A multipart body built by hand, so the file name can be any bytes a hostile client sends."""
    parts = [b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (BOUNDARY, key.encode(),
                                                                                     value.encode())
             for key, value in fields.items()]
    parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                 b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (BOUNDARY, name.encode(), filename, content))
    body = b"".join(parts) + b"--%s--\r\n" % BOUNDARY
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY.decode()}")


def query(payload: Payload) -> str:
    return quote_from_bytes(form_bytes(payload), safe="")


def admin_post(world: World, url: str, fields: dict):
    """Post as the admin. After a redirect the flash message (which may quote the payload) is shown once in
    every 16 posts by following it as a browser would, and otherwise dropped from the session: following
    every one would render pages that grow with each payload stored (a case with 200 notes), and the
    browser test renders every page with the payloads stored anyway."""
    response = post(world.admin, url, {"csrf_token": world.csrf, **fields})
    location = response.headers.get("Location", "")
    if response.status_code in (302, 303) and location.startswith("/"):
        world.counter += 1
        if world.counter % 16 == 0:
            shown = world.admin.get(location)
            return shown if shown.status_code >= 500 else response
        with world.admin.session_transaction() as session:
            session.pop("_flashes", None)
    return response


# ---- Forms -------------------------------------------------------------------------------------------

def login(world, p):
    fields = world.hidden("/login")
    return post(world.anonymous, "/login?next=" + query(p),
                {**fields, "email": form_bytes(p), "password": form_bytes(p)},
                environ_base={"REMOTE_ADDR": world.next_address()})


def complain(world, p):
    fields = world.hidden("/complain")
    value = form_bytes(p)
    return post(world.anonymous, "/complain", {**fields, "kind": value, "message": value, "name": value,
                                              "email": value, "phone": value},
                environ_base={"REMOTE_ADDR": world.next_address()})


def _answers(p: Payload) -> dict:
    value = form_bytes(p)
    return {"q-satisfaction": value, "q-recommend": value, "q-channel": value, "q-topics": value,
            "q-resolved": value, "q-comment": value, "consent_quote": value}


def fresh_form(world, url: str) -> dict[str, str]:
    """The page's hidden fields with a new submission key, as a new rendering of the form would have."""
    return {**world.hidden(url), "submission_key": new_token()}


def respond_public(world, p):
    return post(world.anonymous, f"/s/{world.slug}", {**fresh_form(world, f"/s/{world.slug}"), **_answers(p)},
                environ_base={"REMOTE_ADDR": world.next_address()})


def respond_hidden_fields(world, p):
    """The hidden fields themselves: the form's version, submission key and CSRF token."""
    client = world.anonymous
    value = form_bytes(p)
    return post(client, f"/s/{world.slug}", {"csrf_token": value, "submission_key": value, "version": value,
                                            "q-satisfaction": "5"}, environ_base={"REMOTE_ADDR": world.next_address()})


def respond_personal_save(world, p):
    url = f"/r/{world.token}"
    return post(world.anonymous, url, {**fresh_form(world, url), **_answers(p), "action": "save"},
                environ_base={"REMOTE_ADDR": world.next_address()})


def respond_personal_submit(world, p):
    url = f"/r/{world.token}"
    answers = {**_answers(p), "q-satisfaction": "1"}  # valid, so the text reaches storage and a case opens
    return post(world.anonymous, url, {**fresh_form(world, url), **answers},
                environ_base={"REMOTE_ADDR": world.next_address()})


def new_survey(world, p):
    return admin_post(world, "/manage/surveys/new", {"title": form_bytes(p), "starter": form_bytes(p)})


def survey_details(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/details", {"title": form_bytes(p), "intro": form_bytes(p)})


def _question(p: Payload, *, key: bytes | str) -> dict:
    value = form_bytes(p)
    return {"key": key, "type": "choice", "text": value, "options": value + b"\nsecond", "why": value,
            "follow_up_at": value}


def add_question(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/questions", _question(p, key=form_bytes(p)))


def add_question_type(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/questions",
                      {**_question(p, key="extra"), "type": form_bytes(p), "required": form_bytes(p)})


def edit_question(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/questions/channel",
                      {**_question(p, key="channel"), "options": form_bytes(p) + b"\nPhone\nEmail"})


def move_question(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/questions/channel/move", {"direction": form_bytes(p)})


def import_definition(world, p):
    text = p.text
    definition = {"slug": "imported", "title": text, "intro": text, "questions": [
        {"key": "q1", "type": "choice", "text": text, "options": [text, "other"], "why": text}]}
    body = json.dumps(definition).encode("utf-8", "surrogatepass")
    return upload(world.admin, "/manage/surveys/import", {"csrf_token": world.csrf}, "definition",
                  form_bytes(p)[:200] + b".json", body)


def import_definition_raw(world, p):
    """The file itself is hostile: not JSON, not UTF-8, or nested deeper than a recursive parser goes."""
    return upload(world.admin, "/manage/surveys/import", {"csrf_token": world.csrf}, "definition",
                  b"definition.json", form_bytes(p))


def preview(world, p):
    return admin_post(world, f"/manage/surveys/{world.draft}/preview", _answers(p))


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def import_contacts_cells(world, p):
    data = _csv([["email", "name", "location", "team"],
                 ["hostile@example.com", p.text, p.text, p.text], [p.text, "x", "y", "z"]])
    return upload(world.admin, "/manage/contacts/import", {"csrf_token": world.csrf}, "file", b"contacts.csv", data)


def import_contacts_header(world, p):
    data = _csv([["email", p.text[:60]], ["header@example.com", "x"]])
    return upload(world.admin, "/manage/contacts/import", {"csrf_token": world.csrf}, "file", b"contacts.csv", data)


def import_contacts_raw(world, p):
    data = b"email,name\nraw@example.com," + form_bytes(p) + b"\n"
    return upload(world.admin, "/manage/contacts/import", {"csrf_token": world.csrf}, "file", b"contacts.csv", data)


def import_contacts_filename(world, p):
    data = b"email\nname@example.com\n"
    return upload(world.admin, "/manage/contacts/import", {"csrf_token": world.csrf}, "file", form_bytes(p) + b".csv",
                  data)


def erase_contact(world, p):
    return admin_post(world, f"/manage/contacts/{world.ids['contact']}/erase", {"confirm": form_bytes(p)})


def new_change(world, p):
    value = form_bytes(p)
    return admin_post(world, "/manage/changes/new", {
        "title": value, "you_said": value, "we_did": value, "category": value, "status": "done",
        "changed_on": "2026-10-01", "impact_survey": world.slug, "impact_question": value, "impact_segment": value})


def change_fields(world, p):
    """The select and date fields of a change, which a browser would only send from their options."""
    value = form_bytes(p)
    return admin_post(world, f"/manage/changes/{world.ids['change']}", {
        "title": "t", "you_said": "y", "we_did": "w", "status": value, "changed_on": value,
        "impact_survey": value, "impact_question": "satisfaction", "impact_segment": "location=" + p.text[:200]})


def change_links(world, p):
    return admin_post(world, f"/manage/changes/{world.ids['change']}/links",
                      {"responses": form_bytes(p), "alerts": form_bytes(p)})


def change_quote(world, p):
    return admin_post(world, f"/manage/changes/{world.ids['change']}/quotes",
                      {"response_id": form_bytes(p), "text": form_bytes(p)})


def change_quote_text(world, p):
    return admin_post(world, f"/manage/changes/{world.ids['change']}/quotes",
                      {"response_id": str(world.ids["response"]), "text": form_bytes(p)})


def case_status(world, p):
    value = form_bytes(p)
    return admin_post(world, f"/manage/cases/{world.ids['case']}/status",
                      {"status": value, "problem_fixed": value, "change_id": value, "note": value})


def case_note(world, p):
    return admin_post(world, f"/manage/cases/{world.ids['case']}/notes", {"text": form_bytes(p)})


def case_assign(world, p):
    return admin_post(world, f"/manage/cases/{world.ids['case']}/assign", {"owner": form_bytes(p)})


def add_tag(world, p):
    return admin_post(world, f"/manage/responses/{world.ids['response']}/tags", {"tag": form_bytes(p)})


def remove_tag(world, p):
    return admin_post(world, f"/manage/responses/{world.ids['response']}/tags/remove", {"tag": form_bytes(p)})


def alert_link_case(world, p):
    return admin_post(world, f"/manage/alerts/{world.ids['alert']}/case", {"case": form_bytes(p)})


def alert_subscription(world, p):
    return admin_post(world, "/manage/alerts/subscription", {"notify": form_bytes(p)})


def sending(world, p):
    value = form_bytes(p)
    return admin_post(world, f"/manage/surveys/{world.slug}/sending",
                      {"segment": value, "at": value, "reminders": value, "reminder_days": value})


def sending_segment(world, p):
    return admin_post(world, f"/manage/surveys/{world.slug}/sending",
                      {"segment": b"location=" + form_bytes(p), "at": "2030-01-01T10:00", "reminders": "0",
                       "reminder_days": "3"})


def api_token_create(world, p):
    return admin_post(world, "/manage/api-tokens/", {"name": form_bytes(p), "role": form_bytes(p)})


def webhook_create(world, p):
    return admin_post(world, "/manage/webhooks/", {"url": form_bytes(p), "description": form_bytes(p),
                                                   "events": form_bytes(p), "signature_scheme": form_bytes(p)})


def webhook_create_url(world, p):
    # An allowed loopback address (see GENEROUS_LIMITS' neighbour in conftest): nothing is resolved or sent.
    return admin_post(world, "/manage/webhooks/", {"url": b"https://127.0.0.1:9/" + form_bytes(p),
                                                   "description": "d", "events": "response.completed"})


def scorecard(world, p):
    return admin_post(world, "/account/scorecard", {"notify": form_bytes(p)})


def unsubscribe_post(world, p):
    return post(world.anonymous, f"/unsubscribe/{world.unsubscribe_token}", {"x": form_bytes(p)})


# ---- Query strings and path segments -----------------------------------------------------------------

FILTER_NAMES = ("from", "to", "period", "where", "version", "q", "tag", "score", "after", "status", "mine", "show",
                "page", "category", "next", "rating")


def query_string(path: str) -> Callable:
    def send(world, p):
        value = query(p)
        client = world.anonymous if path.startswith(("/s/", "/r/", "/changes", "/login", "/complain")) else world.admin
        return client.get(path.format(slug=world.slug, token=world.token) + "?" +
                          "&".join(f"{name}={value}" for name in FILTER_NAMES))
    send.__name__ = "query " + path
    return send


def where_attribute(world, p):
    """The segment filter's attribute name is an identifier slot (a JSON key in SQL)."""
    return world.admin.get(f"/manage/surveys/{world.slug}/responses?where={query(p)}%3Dx")


def path_segment(template: str) -> Callable:
    def send(world, p):
        value = query(p)
        client = world.anonymous if template.startswith(("/s/", "/r/", "/unsubscribe")) else world.admin
        return client.get(template.format(value=value, slug=world.slug))
    send.__name__ = "path " + template
    return send


# ---- Headers -----------------------------------------------------------------------------------------

def environ_header(name: str, payload: Payload) -> dict[str, str]:
    """A request header as the WSGI server hands it over: the client's bytes read as Latin-1. Set in the
    environment directly, because the test client refuses to build a header holding a line break."""
    return {"HTTP_" + name.upper().replace("-", "_"): form_bytes(payload).decode("latin-1")}


def header(name: str, path: str) -> Callable:
    def send(world, p):
        return world.anonymous.get(path.format(slug=world.slug, token=world.token),
                                   environ_overrides=environ_header(name, p))
    send.__name__ = f"header {name} {path}"
    return send


# ---- The JSON API ------------------------------------------------------------------------------------

def _api(world, method: str, path: str, body=None, raw: bytes | None = None):
    headers = {"Authorization": f"Bearer {world.api_token}"}
    if raw is not None:
        return world.anonymous.open(path, method=method, data=raw, headers=headers, content_type="application/json")
    if body is not None:
        data = json.dumps(body).encode("utf-8", "surrogatepass")
        return world.anonymous.open(path, method=method, data=data, headers=headers, content_type="application/json")
    return world.anonymous.open(path, method=method, headers=headers)


def api_create_survey(world, p):
    t = p.text
    return _api(world, "POST", "/api/v1/surveys?publish=true", {
        "slug": "api-" + str(world.next_address().replace(".", "-")), "title": t, "intro": t,
        "questions": [{"key": "q1", "type": "choice", "text": t, "options": [t, "other"], "why": t}]})


def api_create_survey_slug(world, p):
    return _api(world, "POST", "/api/v1/surveys", {"slug": p.text, "title": "t",
                                                   "questions": [{"key": p.text, "type": "text", "text": "t"}]})


def api_new_version(world, p):
    t = p.text
    return _api(world, "POST", f"/api/v1/surveys/{world.slug}/versions", {
        "slug": world.slug, "title": t, "questions": [
            {"key": "satisfaction", "type": "rating", "text": t, "scale": ["a", "b", "c", "d", t]}]})


def api_contacts(world, p):
    t = p.text
    return _api(world, "POST", "/api/v1/contacts", {"contacts": [
        {"email": "api-contact@example.com", "name": t, "attributes": {"location": t, "team": t}},
        {"email": t, "name": t}]})


def api_contacts_attribute_name(world, p):
    return _api(world, "POST", "/api/v1/contacts", {"contacts": [
        {"email": "attr-name@example.com", "attributes": {p.text: "x"}}]})


def api_event(world, p):
    t = p.text
    return _api(world, "POST", "/api/v1/events", {"email": "api-event@example.com", "survey": world.slug, "name": t,
                                                  "touchpoint": t, "attributes": {"location": t}, "delay": t, "id": t})


def api_raw_body(world, p):
    return _api(world, "POST", "/api/v1/events", raw=form_bytes(p))


def api_query(path: str, names: tuple[str, ...]) -> Callable:
    def send(world, p):
        value = query(p)
        return _api(world, "GET", path.format(slug=world.slug) + "?" + "&".join(f"{n}={value}" for n in names))
    send.__name__ = "api query " + path
    return send


def api_path(template: str) -> Callable:
    def send(world, p):
        return _api(world, "GET", template.format(value=query(p)))
    send.__name__ = "api path " + template
    return send


def api_bearer(world, p):
    return world.anonymous.get("/api/v1/surveys", environ_overrides=environ_header(
        "Authorization", Payload(p.name, "", p.kind, p.attacks, raw=b"Bearer " + form_bytes(p))))


FORMS = [login, complain, respond_public, respond_hidden_fields, respond_personal_save, respond_personal_submit,
         new_survey, survey_details, add_question, add_question_type, edit_question, move_question,
         import_definition, import_definition_raw, preview, import_contacts_cells, import_contacts_header,
         import_contacts_raw, import_contacts_filename, erase_contact, new_change, change_fields, change_links,
         change_quote, change_quote_text, case_status, case_note, case_assign, add_tag, remove_tag, alert_link_case,
         alert_subscription, sending, sending_segment, api_token_create, webhook_create, webhook_create_url,
         scorecard, unsubscribe_post]

# The pages that read their query string (the others ignore it). The other exports (responses.xlsx,
# results.csv/xlsx) read it with the same parse_filter as responses.csv and the results page.
QUERIES = [query_string(path) for path in (
    "/login", "/changes", "/s/{slug}", "/r/{token}", "/manage/surveys/{slug}/results",
    "/manage/surveys/{slug}/responses", "/manage/surveys/{slug}/responses.csv", "/manage/contacts/", "/manage/cases/",
    "/manage/alerts/")] + [where_attribute]

# One page per lookup a path segment goes to: survey by slug (public, manager), question by key, the two
# kinds of token, a static file.
PATHS = [path_segment(template) for template in (
    "/s/{value}", "/r/{value}", "/unsubscribe/{value}", "/manage/surveys/{value}",
    "/manage/surveys/{slug}/questions/{value}", "/static/{value}")]

HEADERS = [header(name, "/s/{slug}") for name in ("Host", "X-Forwarded-For", "Referer", "User-Agent", "Cookie")]

API = [api_create_survey, api_create_survey_slug, api_new_version, api_contacts, api_contacts_attribute_name,
       api_event, api_raw_body, api_bearer,
       api_query("/api/v1/surveys/{slug}/results", ("from", "to", "where", "version", "period")),
       api_query("/api/v1/surveys/{slug}/responses", ("from", "to", "where", "version", "since", "after", "limit")),
       api_query("/api/v1/contacts", ("email", "after", "limit")),
       api_query("/api/v1/changes", ("category",)), api_query("/api/v1/alerts", ("status",)),
       api_query("/api/v1/cases", ("status", "after")),
       api_path("/api/v1/surveys/{value}"), api_path("/api/v1/contacts/{value}")]

# Where the big payloads (up to 3 MB) go: the fields that take long text, file uploads and API bodies.
LARGE = [complain, respond_public, respond_personal_save, new_change, case_note, import_contacts_cells,
         import_definition_raw, api_contacts, api_raw_body, query_string("/manage/surveys/{slug}/responses")]
