"""A manager authoring surveys through the HTML pages, with CSRF on."""
import io
import json
from collections import Counter
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from survey.authoring.editing import find_survey
from survey.extensions import db
from survey.models import Response, Survey
from tests.factories import logic_definition, make_definition, make_survey, make_user
from tests.pages import csrf_token, log_in, post_form, text_of


@pytest.fixture
def editor(client, app):
    with app.app_context():
        email = make_user(role="editor").email
    log_in(client, email)
    return email


def given_survey(app, **kwargs) -> None:
    with app.app_context():
        make_survey(**kwargs)


def test_manager_pages_need_a_login(client, app):
    response = client.get("/manage/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_from_each_starter_template(client, app, editor):
    page = client.get("/manage/surveys/new").get_data(as_text=True)
    starters = ["support-csat", "nps-relationship", "account-review", "complaint", "internal-department"]
    for name in starters:
        assert f'value="{name}"' in page
        response = post_form(client, "/manage/surveys/new", {"title": f"Our {name}", "starter": name})
        assert response.status_code == 302
    with app.app_context():
        surveys = db.session.scalars(select(Survey)).all()
        assert len(surveys) == 5 and all(s.status == "draft" and s.current_version.questions for s in surveys)
        assert find_survey("our-nps-relationship").current_version.questions[0].type == "nps"


def test_build_a_survey_from_scratch_with_every_question_type(client, app, editor):
    response = post_form(client, "/manage/surveys/new", {"title": "Store visit", "starter": ""})
    assert response.headers["Location"].endswith("/manage/surveys/store-visit")
    url = "/manage/surveys/store-visit"
    questions = [
        {"key": "satisfaction", "type": "rating", "text": "How satisfied are you?", "required": "y",
         "options": "Extremely dissatisfied\nDissatisfied\nNeither\nSatisfied\nExtremely satisfied",
         "why": "We compare stores every month."},
        {"key": "recommend", "type": "nps", "text": "Would you recommend us?"},
        {"key": "visit", "type": "choice", "text": "Why did you visit?", "options": "Buy\nReturn\nBrowse"},
        {"key": "areas", "type": "multi", "text": "Which areas?", "options": "Tills\nFitting rooms"},
        {"key": "found", "type": "yesno", "text": "Did you find what you needed?"},
        {"key": "note", "type": "text", "text": "Anything else?", "long": "y"},
    ]
    for question in questions:
        response = post_form(client, f"{url}/questions", question, page=url)
        assert response.status_code == 302, text_of(response)
    with app.app_context():
        version = find_survey("store-visit").current_version
        assert [q.type for q in version.questions] == ["rating", "nps", "choice", "multi", "yesno", "text"]
        first = version.questions[0]
        assert first.required and first.why == "We compare stores every month."
        assert first.options[-1] == "Extremely satisfied" and version.questions[-1].long

    post_form(client, f"{url}/questions/note/move", {"direction": "up"}, page=url)
    post_form(client, f"{url}/questions/satisfaction/move", {"direction": "down"}, page=url)
    post_form(client, f"{url}/questions/areas/delete", page=url)
    edit = dict(questions[2], text="What brought you in today?", options="Buy\nReturn\nBrowse\nCollect")
    assert post_form(client, f"{url}/questions/visit", edit).status_code == 302
    with app.app_context():
        version = find_survey("store-visit").current_version
        assert [q.key for q in version.questions] == ["recommend", "satisfaction", "visit", "note", "found"]
        assert version.question("visit").options == ["Buy", "Return", "Browse", "Collect"]
        assert version.question("visit").text == "What brought you in today?"

    assert post_form(client, f"{url}/publish", page=url).status_code == 302
    assert client.get("/s/store-visit").status_code == 200


def test_bad_question_input_is_shown_at_the_field_and_changes_nothing(client, app, editor):
    given_survey(app, status="draft")
    url = "/manage/surveys/support-csat"
    response = post_form(client, f"{url}/questions",
                         {"key": "Bad key", "type": "rating", "text": "Rate", "options": "Only one"}, page=url)
    html = text_of(response)
    assert response.status_code == 422
    assert 'id="key-error"' in html and 'id="options-error"' in html and "needs 2 to 11 labels" in html
    duplicate = post_form(client, f"{url}/questions", {"key": "comment", "type": "text", "text": "Again"}, page=url)
    assert "already used by another question" in text_of(client.get(duplicate.headers["Location"]))
    with app.app_context():
        assert len(find_survey("support-csat").current_version.questions) == 6


def test_editing_a_survey_with_responses_publishes_a_new_version(client, app, editor):
    given_survey(app)
    post_form(client, "/s/support-csat", {"q-satisfaction": "5"})
    url = "/manage/surveys/support-csat"
    post_form(client, f"{url}/details", {"title": "How did we do today?", "intro": "Quick one."}, page=url)
    with app.app_context():
        survey = find_survey("support-csat")
        assert [v.number for v in survey.versions] == [1, 2] and survey.title == "How did we do today?"
        assert db.session.scalar(select(Response)).version.number == 1
    assert "version 2 of 2" in text_of(client.get(url))


def test_preview_shows_the_customer_page_and_stores_nothing(client, app, editor):
    given_survey(app, status="draft")
    page = client.get("/manage/surveys/support-csat/preview")
    assert "as customers see it through the <strong>public link</strong>" in text_of(page)
    assert "Overall, how satisfied" in text_of(page)
    checked = post_form(client, "/manage/surveys/support-csat/preview", {"q-recommend": "3"})
    assert checked.status_code == 422 and "Please answer this question." in text_of(checked)
    valid = post_form(client, "/manage/surveys/support-csat/preview", {"q-satisfaction": "4"})
    assert valid.status_code == 200 and "nothing is stored" in text_of(valid)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_close_and_duplicate_from_the_editor(client, app, editor):
    given_survey(app)
    url = "/manage/surveys/support-csat"
    post_form(client, f"{url}/close", {"confirm": "yes"}, page=url)
    assert client.get("/s/support-csat").status_code == 410
    response = post_form(client, f"{url}/duplicate", page=url)
    assert response.headers["Location"].endswith("/manage/surveys/support-csat-copy")
    assert "(copy)" in text_of(client.get(response.headers["Location"]))


def test_import_and_export_the_json_definition(client, app, editor):
    token = csrf_token(client, "/manage/surveys/import")
    definition = make_definition(slug="imported")
    response = client.post("/manage/surveys/import", data={
        "csrf_token": token, "definition": (io.BytesIO(json.dumps(definition).encode()), "imported.json")})
    assert response.status_code == 302
    assert client.get("/manage/surveys/imported/definition.json").json == definition

    for content, problem in [(b"{not json", "not valid JSON"), (b"\xff\xfe", "not UTF-8"),
                             (json.dumps(make_definition(slug="x", questions=[{"key": "1"}])).encode(),
                              "questions[0].key")]:
        response = client.post("/manage/surveys/import", data={
            "csrf_token": token, "definition": (io.BytesIO(content), "bad.json")})
        assert response.status_code == 422 and problem in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 1


def test_analysts_and_agents_may_look_but_not_change(app):
    given_survey(app, status="draft")
    for role in ("analyst", "agent"):
        client = app.test_client()
        with app.app_context():
            make_user(email=f"{role}@example.com", role=role)
        log_in(client, f"{role}@example.com")
        assert client.get("/manage/surveys/support-csat").status_code == 200
        assert "Add a question" not in text_of(client.get("/manage/surveys/support-csat"))
        response = post_form(client, "/manage/surveys/support-csat/publish", page="/manage/surveys/support-csat")
        assert response.status_code == 403
    with app.app_context():
        assert find_survey("support-csat").status == "draft"


def test_a_post_without_the_csrf_token_is_refused(client, app, editor):
    given_survey(app, status="draft")
    response = client.post("/manage/surveys/support-csat/publish")
    assert response.status_code == 400 and "This form has expired" in text_of(response)
    with app.app_context():
        assert find_survey("support-csat").status == "draft"


def test_logout_ends_the_session_on_the_server(client, app, editor):
    stolen_cookie = client.get_cookie("session").value
    assert client.get("/manage/").status_code == 200
    post_form(client, "/logout", page="/manage/")
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/manage/").status_code == 302


def test_wrong_password_and_unsafe_next(client, app):
    with app.app_context():
        make_user(email="manager@example.com")
    response = post_form(client, "/login", {"email": "manager@example.com", "password": "wrong password"})
    assert response.status_code == 422 and "do not match" in text_of(response)
    response = post_form(client, "/login?next=//evil.example/", {"email": "manager@example.com",
                                                                 "password": "correct horse battery"}, page="/login")
    assert response.headers["Location"] == "/manage/"


def test_the_last_question_of_a_published_survey_cannot_be_removed(client, app, editor):
    """Customers would get an empty form, and an empty response would count in the results."""
    with app.app_context():
        make_survey(questions=[{"key": "only", "type": "yesno", "text": "Did we help?"}])
    url = "/manage/surveys/support-csat"
    refused = post_form(client, f"{url}/questions/only/delete", {"confirm": "yes"}, page=url, follow_redirects=True)
    assert "it needs at least one question" in text_of(refused)
    with app.app_context():
        assert [q.key for q in find_survey("support-csat").current_version.questions] == ["only"]


def test_a_refused_question_is_summed_up_at_the_top_and_moves_come_back_to_the_question(client, app, editor):
    """On a phone the add-question form is a long scroll below the top of the page that comes back."""
    with app.app_context():
        make_survey()
    url = "/manage/surveys/support-csat"
    refused = post_form(client, f"{url}/questions", {"key": "Bad Key!", "type": "rating", "text": "How?"}, page=url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'class="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert 'href="#key">Key: ' in html
    moved = post_form(client, f"{url}/questions/recommend/move", {"direction": "up"}, page=url)
    assert moved.headers["Location"].endswith("#item-recommend")
    assert '>Remove<span class="visually-hidden"> “How likely are you' in client.get(url).get_data(as_text=True)


class _Ids(HTMLParser):
    """Every id attribute of a page, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    parser.close()
    return sorted(name for name, count in Counter(parser.ids).items() if count > 1)


def test_no_page_repeats_an_id(app):
    """Ids are unique in a page (the Nu HTML checker refuses a repeated one, and a label or a link to
    #id finds only the first): every manager page, each GET route under /manage with data behind it, and
    the public pages. Several forms on one page each carry a CSRF token, rendered without an id."""
    from tests.security.stored import pages, store_everywhere

    stored = store_everywhere(app)
    public, manager = pages(stored)
    with app.app_context():  # a survey with sections: its editor, a section's page and its removal's confirmation
        make_survey(definition=logic_definition())
    manager += ["/manage/surveys/support-logic", "/manage/surveys/support-logic/sections/problems",
                "/manage/surveys/support-logic/sections/problems/delete"]
    manager += ["/manage/surveys/new", "/manage/surveys/import", "/manage/contacts/import", "/manage/changes/new",
                f"/manage/surveys/{stored['slug']}/responses/import", "/manage/alerts/", "/manage/cases/?status=open"]
    not_pages = {"manage.exports.responses_csv", "manage.exports.results_file",
                 "manage.surveys.export_definition", "manage.surveys.export_translations",
                 "manage.jobs.job_progress", "manage.jobs.job_result", "manage.audit.export_csv"}
    routes = {rule.endpoint for rule in app.url_map.iter_rules()
              if "GET" in rule.methods and rule.rule.startswith("/manage/") and rule.endpoint not in not_pages}
    client = app.test_client()
    log_in(client, "admin@example.com")
    seen = {app.url_map.bind("localhost").match(url.split("?")[0])[0] for url in manager}
    assert routes - seen == set(), "a manager page this test does not fetch"
    found = {}
    for url in [*manager, *public]:
        response = client.get(url)
        assert response.status_code == 200, url
        if repeated := duplicate_ids(response.get_data(as_text=True)):
            found[url] = repeated
    assert found == {}


def test_a_drafts_address_can_change_with_the_rules_of_import(client, app, editor):
    with app.app_context():
        make_survey(slug="taken")
        make_survey(slug="draft-one", status="draft")
    url = "/manage/surveys/draft-one"
    for bad, says in (("Not Valid", "lower-case letters, digits and inner hyphens, got &#39;Not Valid&#39;"),
                      ("taken", "The address &#39;taken&#39; is already used by another survey"),
                      ("-x", "inner hyphens")):
        refused = post_form(client, f"{url}/address", {"slug": bad}, page=url)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and says in html
        assert 'id="slug-error"' in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert find_survey("draft-one") is not None
    moved = post_form(client, f"{url}/address", {"slug": "spring-visit"}, page=url)
    assert moved.status_code == 302 and moved.location.endswith("/manage/surveys/spring-visit#address")
    with app.app_context():
        assert find_survey("draft-one") is None and find_survey("spring-visit") is not None


def test_a_published_surveys_address_cannot_change_and_the_page_says_why(client, app, editor):
    given_survey(app)
    url = "/manage/surveys/support-csat"
    page = text_of(client.get(url))
    assert "it cannot change now that the survey has been published" in page and 'name="slug"' not in page
    refused = post_form(client, f"{url}/address", {"slug": "elsewhere"}, page=url)
    assert refused.status_code == 422
    assert "can be changed only while the survey is a draft: this one is published" in text_of(refused)
    with app.app_context():
        assert find_survey("support-csat") is not None and find_survey("elsewhere") is None


def main_content(html: str) -> str:
    """The page's <main> without the preview banner, the form's target and its per-form hidden values."""
    import re

    main = re.search(r"<main\b.*?</main>", html, re.S).group(0)
    main = re.sub(r'<div class="preview-banner".*?</div>', "", main, flags=re.S)
    main = re.sub(r'(<form method="post" action=")[^"]*"', r'\1…"', main)
    main = re.sub(r'(name="(?:csrf_token|submission_key)"[^>]*value=")[^"]*"', r'\1…"', main)
    return " ".join(main.split())  # the banner's lines gone, the rest laid out alike


def test_each_kind_of_preview_shows_what_that_link_shows(client, app, editor):
    """The public link (no call-back consent, nothing to save), a personal link and the one-click rating's
    page: the preview's main content is the customer's own page."""
    from tests.factories import make_invitation

    with app.app_context():
        token = make_invitation(make_survey()).token
    customer = app.test_client()
    preview = "/manage/surveys/support-csat/preview"
    for kind, real in (("public", "/s/support-csat"), ("personal", f"/r/{token}"),
                       ("rating", f"/r/{token}?rating=2")):
        ours = client.get(f"{preview}?as={kind}&rating=2")
        assert ours.status_code == 200
        assert main_content(ours.get_data(as_text=True)) == main_content(customer.get(real).get_data(as_text=True))
    assert "You chose:" in text_of(client.get(f"{preview}?as=rating&rating=2"))
    assert "consent_contact" not in client.get(preview).get_data(as_text=True)
    assert client.get(f"{preview}?as=other").status_code == 404


def test_a_personal_link_preview_pipes_an_example_customer_and_the_public_one_no_one(client, app, editor):
    definition = make_definition()
    definition["intro"] = "Hello {contact.name|there}, how was {contact.location|our shop}?"
    with app.app_context():
        make_survey(definition=definition)
    preview = "/manage/surveys/support-csat/preview"
    assert "Hello Alex Example, how was our shop?" in text_of(client.get(f"{preview}?as=personal"))
    assert "Hello there, how was our shop?" in text_of(client.get(f"{preview}?as=public"))
