"""Answering in Chromium at a small phone's, a phone's and a desktop's width: every scale is one row or a
clean vertical list with its end labels at its ends, Enter in a short answer sends nothing, and a rating
chosen in an email is stored by one more tap."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Response
from tests.factories import DEFINITION, make_definition, make_invitation, make_survey

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 1280)
SEVEN = ["Very hard", "Hard", "Fairly hard", "Neither", "Fairly easy", "Easy", "Very easy"]
QUESTIONS = [
    DEFINITION["questions"][1],  # NPS 0–10
    DEFINITION["questions"][0],  # five points, long labels
    {"key": "effort", "type": "rating", "text": "How easy was it?", "scale": SEVEN},
    {"key": "order", "type": "text", "text": "Your order number"},
]

LAYOUT = """key => {
  const fieldset = document.querySelector('#question-' + key + ' fieldset');
  const box = fieldset.getBoundingClientRect();
  const rect = element => { const r = element.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const visible = element => element.getBoundingClientRect().width > 1;
  return {
    options: [...fieldset.querySelectorAll('.option')].map(rect),
    ends: [...fieldset.querySelectorAll('.scale-ends span')].filter(visible).map(rect),
    notes: [...fieldset.querySelectorAll('.end-note')].filter(visible).map(rect),
    left: box.left, right: box.right,
    pageWidth: document.documentElement.scrollWidth,
  };
}"""


def shape(layout) -> str:
    """'row', 'list', or 'wrapped' (neither: the defect)."""
    lefts, tops = [o[0] for o in layout["options"]], [o[1] for o in layout["options"]]
    if max(tops) - min(tops) < 2 and lefts == sorted(lefts) and len(set(lefts)) == len(lefts):
        return "row"
    if max(lefts) - min(lefts) < 2 and tops == sorted(tops) and len(set(tops)) == len(tops):
        return "list"
    return "wrapped"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_scale_is_one_row_or_a_list_with_its_ends_at_its_ends(app, live_server, browser, width):
    with app.app_context():
        make_survey(definition=make_definition(questions=QUESTIONS))
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/s/support-csat")
    page.screenshot(path=f"/tmp/shots/scales-{width}.png", full_page=True)
    assert page.locator("button[disabled]").bounding_box() is None  # the default button is never shown
    for key in ("recommend", "satisfaction", "effort"):
        layout = page.evaluate(LAYOUT, key)
        assert layout["pageWidth"] <= width, (key, layout["pageWidth"])
        form = shape(layout)
        assert form in ("row", "list"), (key, width, layout["options"])
        first, last = layout["options"][0], layout["options"][-1]
        if form == "row":
            assert abs(first[0] - layout["left"]) < 2 and abs(last[2] - layout["right"]) < 2, (key, width)
            if key == "recommend":  # the line above the row names its ends, over its ends
                (low, high) = layout["ends"]
                assert abs(low[0] - layout["left"]) < 2 and abs(high[2] - layout["right"]) < 2
        elif key == "recommend":  # each end says what it means beside its own number
            assert layout["ends"] == [] and len(layout["notes"]) == 2
            assert first[1] <= layout["notes"][0][1] <= first[3] and last[1] <= layout["notes"][1][1] <= last[3]
    context.close()


def test_enter_in_a_short_answer_sends_nothing(app, live_server, page):
    with app.app_context():
        make_survey(definition=make_definition(questions=QUESTIONS))
    page.goto(f"{live_server}/s/support-csat")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.fill("#q-order", "A-1234")
    page.press("#q-order", "Enter")
    page.wait_for_timeout(500)
    assert posts == [] and page.input_value("#q-order") == "A-1234"
    page.click("#q-satisfaction-5")
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    with app.app_context():
        assert db.session.scalars(select(Answer.value_text).where(Answer.question_key == "order")).all() == ["A-1234"]


@pytest.mark.parametrize("width", (375, 1280))
def test_a_rating_from_the_email_is_stored_by_one_more_tap(app, live_server, browser, width):
    with app.app_context():
        token = make_invitation(make_survey()).token
    context = browser.new_context(viewport={"width": width, "height": 700}, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server}/r/{token}?rating=2")
    page.screenshot(path=f"/tmp/shots/one-click-{width}.png")
    button = page.get_by_role("button", name="Send my rating")
    assert button.is_visible() and button.bounding_box()["y"] < 700  # on the first screen
    with app.app_context():
        assert db.session.scalar(select(Response)) is None  # opening the link stored nothing
    button.tap()
    page.wait_for_url(f"**/r/{token}/thanks")
    assert "have been received" in page.text_content("main")
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert [(a.question_key, a.value_int) for a in response.answers] == [("satisfaction", 2)]
    context.close()
