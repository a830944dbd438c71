"""Sections (pages) in the manager's editor: split a survey into pages, add, rename, remove sections and move
a question between them, without JSON; refusals shown at their field (or as a message), changing nothing."""
import pytest

from survey.authoring.editing import find_survey
from tests.factories import logic_definition, make_survey, make_user
from tests.pages import log_in, post_form, text_of

PLAIN = "/manage/surveys/support-csat"
PAGED = "/manage/surveys/support-logic"


@pytest.fixture
def editor(client, app):
    with app.app_context():
        email = make_user(role="editor").email
        make_survey(status="draft")
        make_survey(status="draft", definition=logic_definition())
    log_in(client, email)
    return email


def layout(app, slug="support-logic"):
    with app.app_context():
        version = find_survey(slug).current_version
        return [(s["key"], [q.key for q in version.questions if q.section == s["key"]])
                for s in version.sections or ()]


def stored(app, slug="support-logic"):
    with app.app_context():
        version = find_survey(slug).current_version
        return version.number, version.sections, [(q.key, q.section) for q in version.questions]


def test_the_editor_shows_sections_as_headed_groups_of_their_questions(client, editor):
    page = text_of(client.get(PAGED))
    assert "Page 2: What went wrong" in page and "Shown only if satisfaction is at most 2" in page
    groups = page.split('class="survey-section"')[1:]
    assert [("item-satisfaction" in g, "item-channel" in g, "item-comment" in g) for g in groups] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert '<ol class="question-list" start="3">' in page  # numbering carries on across pages
    assert "Add a section (page)" in page and "Split into pages" not in page
    plain = text_of(client.get(PLAIN))
    assert "Split into pages" in plain and "Add a section" not in plain


def test_split_into_pages(client, app, editor):
    response = post_form(client, f"{PLAIN}/split-into-pages", {"split-title": "Your visit"}, page=PLAIN)
    assert response.status_code == 302, text_of(response)
    assert layout(app, "support-csat") == [("your_visit", ["satisfaction", "recommend", "channel", "topics",
                                                           "resolved", "comment"])]
    assert "every question is on the page “Your visit”" in text_of(client.get(PLAIN))


def test_split_without_a_title_is_refused_at_its_field(client, app, editor):
    before = stored(app, "support-csat")
    response = post_form(client, f"{PLAIN}/split-into-pages", {"split-title": " "}, page=PLAIN)
    assert response.status_code == 422 and 'id="split-title-error"' in text_of(response)
    assert stored(app, "support-csat") == before


def test_add_a_section_with_a_key_made_from_its_title_and_a_condition(client, app, editor):
    response = post_form(client, f"{PAGED}/sections", {
        "section-first": "comment", "section-title": "Was it sorted?", "section-key": "", "section-intro": "",
        "section-show_subject": "answers.channel", "section-show_operator": "==", "section-show_value": "Phone"},
        page=PAGED)
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"].endswith("#page-was_it_sorted")
    assert layout(app) == [("rating", ["satisfaction", "recommend"]), ("problems", ["channel", "topics"]),
                           ("more", ["resolved"]), ("was_it_sorted", ["comment"])]
    _, sections, _ = stored(app)
    assert sections[3] == {"key": "was_it_sorted", "title": "Was it sorted?",
                           "show_if": {"==": [{"var": "answers.channel"}, "Phone"]}}
    assert "Shown only if channel is Phone" in text_of(client.get(PAGED))


def test_a_section_condition_reading_a_later_question_is_refused_at_its_field(client, app, editor):
    before = stored(app)
    response = post_form(client, f"{PAGED}/sections", {
        "section-first": "topics", "section-title": "Topics", "section-show_subject": "answers.comment",
        "section-show_operator": "==", "section-show_value": "x"}, page=PAGED)
    page = text_of(response)
    assert response.status_code == 422
    assert "refers to 'comment', which comes later in the survey" in page.split('id="section-show_value-error"')[1]
    assert stored(app) == before


@pytest.mark.parametrize("fields, field, message", [
    ({"section-first": "channel", "section-title": "New"}, "section-first", "already begins section 'problems'"),
    ({"section-first": "topics", "section-title": "New", "section-key": "more"}, "section-key",
     "'more' is already used by another section"),
    ({"section-first": "topics", "section-title": "New", "section-key": "Not A Key"}, "section-key",
     "must start with a lower-case letter"),
    ({"section-first": "topics", "section-title": ""}, "section-title", "This field is required"),
])
def test_adding_a_section_is_refused_at_the_field_and_changes_nothing(client, app, editor, fields, field, message):
    before = stored(app)
    response = post_form(client, f"{PAGED}/sections", fields, page=PAGED)
    assert response.status_code == 422
    assert message in text_of(response).split(f'id="{field}-error"')[1][:300]
    assert stored(app) == before


def test_edit_a_section_title_key_intro_and_condition(client, app, editor):
    page = client.get(f"{PAGED}/sections/problems").get_data(as_text=True)
    assert "<legend>Show this section only if" in page and "End the survey" not in page
    assert '<option selected value="answers.satisfaction">' in page
    assert 'value="answers.channel"' not in page  # only questions before the section
    response = post_form(client, f"{PAGED}/sections/problems", {
        "section-title": "What went wrong?", "section-key": "", "section-intro": "Sorry.",
        "section-show_subject": "answers.recommend", "section-show_operator": "<=", "section-show_value": "6"})
    assert response.status_code == 302, text_of(response)
    _, sections, questions = stored(app)
    assert sections[1] == {"key": "problems", "title": "What went wrong?", "intro": "Sorry.",
                           "show_if": {"<=": [{"var": "answers.recommend"}, 6]}}
    response = post_form(client, f"{PAGED}/sections/problems", {
        "section-title": "What went wrong?", "section-key": "trouble", "section-show_subject": ""})
    assert response.status_code == 302
    assert layout(app)[1] == ("trouble", ["channel", "topics"])


def test_editing_a_section_so_its_piped_intro_would_break_is_refused_naming_it(client, app, editor):
    before = stored(app)
    response = post_form(client, f"{PAGED}/sections/problems", {
        "section-title": "What went wrong", "section-intro": "About {answers.topics}", "section-show_subject": ""})
    assert response.status_code == 422
    assert "{answers.topics} is not answered before" in text_of(response).split('id="section-intro-error"')[1]
    assert stored(app) == before
    assert client.get(f"{PAGED}/sections/nothing").status_code == 404


def test_remove_a_section_from_a_draft_at_once(client, app, editor):
    response = post_form(client, f"{PAGED}/sections/more/delete", page=PAGED)
    assert response.status_code == 302
    assert layout(app) == [("rating", ["satisfaction", "recommend"]),
                           ("problems", ["channel", "topics", "resolved", "comment"])]


def test_removing_a_section_that_would_break_a_condition_changes_nothing(client, app, editor):
    post_form(client, f"{PAGED}/sections/more/delete", page=PAGED)
    before = stored(app)
    response = post_form(client, f"{PAGED}/sections/rating/delete", page=PAGED)
    assert response.status_code == 302
    assert "sections[0] (problems).show_if: refers to 'satisfaction'" in text_of(client.get(PAGED))
    assert stored(app) == before


def test_removing_a_section_of_a_published_survey_is_confirmed_first(client, app, editor):
    with app.app_context():
        make_survey(definition=logic_definition(slug="live-logic"))
    url = "/manage/surveys/live-logic"
    before = stored(app, "live-logic")
    response = post_form(client, f"{url}/sections/problems/delete", page=url)
    assert response.status_code == 303 and stored(app, "live-logic") == before
    page = text_of(client.get(f"{url}/sections/problems/delete"))
    assert "Remove the section “What went wrong”?" in page and "Its questions stay, on the page “Your visit”." in page
    response = post_form(client, f"{url}/sections/problems/delete", {"confirm": "yes"})
    assert response.status_code == 302
    assert [key for key, _ in layout(app, "live-logic")] == ["rating", "more"]


def test_removing_the_only_section_says_the_survey_becomes_one_page(client, app, editor):
    with app.app_context():
        make_survey(slug="live-one")
    url = "/manage/surveys/live-one"
    post_form(client, f"{url}/split-into-pages", {"split-title": "All"}, page=url)
    page = text_of(client.get(f"{url}/sections/all/delete"))
    assert "the survey becomes a single page" in page
    post_form(client, f"{url}/sections/all/delete", {"confirm": "yes"})
    assert layout(app, "live-one") == []


def test_moving_a_question_to_another_section_in_the_question_editor(client, app, editor):
    page = client.get(f"{PAGED}/questions/resolved").get_data(as_text=True)
    assert '<option selected value="more">' in page
    response = post_form(client, f"{PAGED}/questions/resolved", {
        "key": "resolved", "type": "yesno", "text": "Was your issue resolved?", "section": "rating",
        "show_subject": "", "end_subject": ""})
    assert response.status_code == 302, text_of(response)
    assert layout(app)[0] == ("rating", ["satisfaction", "recommend", "resolved"])


def test_moving_the_only_question_out_of_its_section_is_refused_at_the_section_field(client, app, editor):
    post_form(client, f"{PAGED}/questions/comment/delete", page=PAGED)
    before = stored(app)
    response = post_form(client, f"{PAGED}/questions/resolved", {
        "key": "resolved", "type": "yesno", "text": "Was your issue resolved?", "section": "rating",
        "show_subject": "", "end_subject": ""})
    assert response.status_code == 422
    assert "only question of section 'more'" in text_of(response).split('id="section-error"')[1]
    assert stored(app) == before


def test_move_up_from_the_top_of_a_page_puts_the_question_on_the_page_above(client, app, editor):
    response = post_form(client, f"{PAGED}/questions/channel/move", {"direction": "up"}, page=PAGED)
    assert response.status_code == 302
    assert layout(app)[:2] == [("rating", ["satisfaction", "recommend", "channel"]), ("problems", ["topics"])]
    before = stored(app)
    post_form(client, f"{PAGED}/questions/topics/move", {"direction": "up"}, page=PAGED)
    assert "only question of section 'problems'" in text_of(client.get(PAGED))
    assert stored(app) == before
