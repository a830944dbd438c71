"""One test per server error the hostile-input sweep found, so each stays fixed even if the corpus changes."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest

from survey.ids import MAX_ID, IdConverter, parse_id
from tests.factories import make_survey, make_user
from tests.pages import csrf_token, log_in
from tests.security.conftest import respond_low, seed_world


@pytest.mark.parametrize("text, expected", [
    ("12", 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), ("", None), ("0", None), ("-3", None),
    ("\u00b2\u00b3", None), ("\u0663", None), ("1e3", None), (str(MAX_ID + 1), None), ("9" * 40, None), (None, None),
])
def test_an_id_is_ascii_digits_within_the_database_range(text, expected):
    assert parse_id(text) == expected


@pytest.fixture
def admin(app):
    seeded = seed_world(app)
    respond_low(app.test_client(), seeded["token"])
    client = app.test_client()
    log_in(client, "admin@example.com")
    return client, seeded, csrf_token(client, "/manage/")


@pytest.mark.parametrize("number", ["\u00b2\u00b3", "9" * 40, "9223372036854775808"])
def test_ids_typed_into_forms_are_refused_not_crashed_on(admin, number):
    client, seeded, csrf = admin
    assign = client.post("/manage/cases/1/assign", data={"csrf_token": csrf, "owner": number})
    assert assign.status_code == 400
    quote = client.post(f"/manage/changes/{seeded['change']}/quotes",
                        data={"csrf_token": csrf, "response_id": number, "text": "Quick"})
    assert quote.status_code == 422
    link = client.post(f"/manage/alerts/{seeded['alert']}/case", data={"csrf_token": csrf, "case": number})
    assert link.status_code == 302
    assert "There is no follow-up case" in client.get(link.headers["Location"]).get_data(as_text=True)


def test_an_id_in_an_address_beyond_any_record_is_a_404_on_every_route(admin, app):
    """Every route with an <int:…> part, given a number above any database id (SQLite's driver raised
    OverflowError on it: a 500); and response numbers typed into a change's links."""
    client, seeded, csrf = admin
    huge = "9" * 23
    routes = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and
              any(isinstance(converter, IdConverter) for converter in rule._converters.values())]
    assert len(routes) >= 10
    adapter = app.url_map.bind("localhost")
    for rule in routes:
        values = {name: int(huge) if isinstance(converter, IdConverter) else
                  sorted(converter.items)[0] if type(converter).__name__ == "AnyConverter" else "support-csat"
                  for name, converter in rule._converters.items()}
        path = adapter.build(rule.endpoint, values)
        assert client.get(path).status_code == 404, path
    link = client.post(f"/manage/changes/{seeded['change']}/links", data={"csrf_token": csrf, "responses": huge})
    assert link.status_code == 422 and f"No response number {huge}" in link.get_data(as_text=True)


def test_a_huge_page_number_shows_an_empty_page(admin):
    client, _seeded, _csrf = admin
    page = client.get("/manage/contacts/?page=" + "9" * 40)
    html = page.get_data(as_text=True)
    # The count of every contact, and no row of them: the page past the last one is empty.
    assert page.status_code == 200 and "1 contact." in html and "<tbody>" not in html
    assert "<tbody>" in client.get("/manage/contacts/?page=1").get_data(as_text=True)


def test_a_version_written_in_other_digits_is_a_named_problem(admin):
    client, seeded, _csrf = admin
    page = client.get(f"/manage/surveys/{seeded['slug']}/responses?version=\u00b2")
    assert page.status_code == 400 and "is not a version number" in page.get_data(as_text=True)


def test_the_results_page_searches_answers(admin):
    """A search (or theme) makes the dashboard count answers of the selected responses; the search's
    subquery over answers was correlated with the outer query over answers and had no FROM left."""
    client, seeded, _csrf = admin
    page = client.get(f"/manage/surveys/{seeded['slug']}/results?from=2020-01-01&to=2030-12-31&q=slow")
    assert page.status_code == 200
    assert client.get(f"/manage/surveys/{seeded['slug']}/results?q=%25&tag=x").status_code == 200


def test_a_definition_nested_too_deep_is_refused_with_a_sentence(admin):
    client, _seeded, csrf = admin
    for content, expected in [(b"[" * 50_000, "nests more than"), (b'{"slug": "a\\u0000b"}', "NUL character"),
                              (b"\xff\xfe", "not UTF-8 text"), (b"{", "not valid JSON")]:
        page = client.post("/manage/surveys/import", data={"csrf_token": csrf,
                                                           "definition": (io.BytesIO(content), "survey.json")})
        assert page.status_code == 422 and expected in page.get_data(as_text=True), content[:20]


def test_a_host_header_that_is_no_host_name_gets_the_400_page(app):
    with app.app_context():
        make_survey()
        make_user()
    client = app.test_client()
    for host in ("a" * 5000, "b" * 64 + ".example"):
        page = client.get("/s/support-csat", environ_overrides={"HTTP_HOST": host})
        assert page.status_code == 400
        assert "Something in that request was not right" in page.get_data(as_text=True)


def test_form_fields_carry_no_aria_attribute_valued_none(app):
    """WTForms writes an attribute given None as the text "None": aria-describedby="None" pointed screen
    readers at nothing (axe: critical)."""
    page = app.test_client().get("/complain").get_data(as_text=True)
    assert '="None"' not in page and 'aria-describedby="message' not in page


def test_the_command_line_refuses_a_definition_nested_too_deep(runner, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 50_000)
    result = runner.invoke(args=["import-survey", str(path)])
    assert result.exit_code == 1 and "nests more than 32 levels" in result.output


def test_a_page_cursor_past_the_database_integer_range_is_ignored(admin):
    client, seeded, _csrf = admin
    url = f"/manage/surveys/{seeded['slug']}/responses"
    # Up to today: the seeded response is in the current month, which the default range leaves out.
    including = re.search(r'href="[^"]*(\?[^"]*)">include it, up to today', client.get(url).get_data(as_text=True))
    query = unescape(including.group(1))
    first = client.get(url + query).get_data(as_text=True)
    for after in ("2147483648", "99999999999"):
        page = client.get(f"{url}{query}&after={after}")
        # Ignored: the first page, as without a cursor (not an error, not an empty page).
        assert page.status_code == 200 and page.get_data(as_text=True).count("<tr") == first.count("<tr") > 1
