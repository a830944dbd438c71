"""Issue 23's stored texts (sections' titles and introductions, matrix statements, ranking options, the text
written beside "Other", translations, a contact attribute a condition reads) on every page that shows them,
fetched without a browser: no payload becomes an element or an attribute (tests/browser/test_stored_payloads.py
opens the same pages in Chromium, where a payload that ran would also be caught)."""
from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from tests.pages import log_in
from tests.security.stored import hostile_types_definition, pages, store_everywhere


class _Marks(HTMLParser):
    """Elements carrying a payload's data-xss mark, and scripts that are not the page's own files."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if "data-xss" in names or any(name.startswith("on") for name in names):
            self.found.append(f"<{tag} {sorted(names)}>")
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")


def marks(html: str) -> list[str]:
    parser = _Marks()
    parser.feed(html)
    return parser.found


def test_issue_23_texts_are_text_on_every_page_that_shows_them(app):
    stored = store_everywhere(app)
    public, manager = pages(stored)
    typed = stored["typed"]
    client = app.test_client()
    problems = []
    seen = ""
    for url in [u for u in public if typed in u]:
        html = client.get(url).get_data(as_text=True)
        problems += [f"{url}: {mark}" for mark in marks(html)]
        seen += html
    log_in(client, "admin@example.com")
    for url in [u for u in manager if typed in u]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        problems += [f"{url}: {mark}" for mark in marks(html)]
        seen += html
    assert problems == []
    # The texts were on the pages (as text): a section's title and introduction, a statement, a translation.
    definition = hostile_types_definition()
    shown = unescape(seen)
    for text in (definition["sections"][0]["title"], definition["sections"][1]["intro"],
                 definition["questions"][0]["statements"][0]["text"],
                 definition["translations"]["fr"]["sections"]["first"]["title"]):
        assert " ".join(text.split()) in " ".join(shown.split()), text[:40]
