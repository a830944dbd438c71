"""The job page in Chromium: an upload lands on it, its script follows the job while the dispatcher works
(no reload: the bar moves in place), and it reloads once to show the outcome; at a phone's width and a
desktop's it fits and axe-core finds nothing serious."""
from __future__ import annotations

import pytest

from survey.background import jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Job
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import BLOCKING, audit, axe  # noqa: F401 — axe is a fixture
from tests.factories import make_survey, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
def test_an_upload_is_followed_to_its_outcome_without_reloading_until_it_ends(
        app, live_server, browser, axe, width, tmp_path):  # noqa: F811 — axe is a fixture
    with app.app_context():
        make_survey()
        make_user()
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("submitted_at,satisfaction\n" + "".join(f"2026-03-{1 + i % 28:02d} 10:00,{1 + i % 5}\n"
                                                               for i in range(300)))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, "manager@example.com")
        page.goto(f"{live_server}/manage/surveys/support-csat/responses/import")
        page.set_input_files("input[type=file]", str(csv_file))
        page.click("main form button[type=submit]")
        page.wait_for_url("**/manage/jobs/*")
        assert "Waiting to start" in page.inner_text("[data-job-phase]")
        page.evaluate("window.stayed = true")  # gone if the page is reloaded
        page.screenshot(path=str(tmp_path / f"waiting-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        waiting = [v["id"] for v in audit(axe, page) if v["impact"] in BLOCKING]

        with app.app_context():  # a dispatcher takes the job and reports: the script shows it, in place
            job = db.session.get_one(Job, jobs.claim(now=utcnow()))
            job.phase, job.done, job.total = "checking", 50, 100
            db.session.commit()
            for _ in range(100):  # wait_for_function evaluates a string, which the page's CSP refuses
                if page.evaluate("document.querySelector('progress').value") == 50:
                    break
                page.wait_for_timeout(100)
            assert page.evaluate("window.stayed") is True
            assert "Checking every row of the file first: 50 %" in page.inner_text("[data-job-phase]")
            jobs.run(job.id)
        page.wait_for_selector("#outcome-title", timeout=10_000)  # reloaded once it ended
        assert "Imported 300 responses" in page.inner_text("main")
        page.screenshot(path=str(tmp_path / f"done-{width}.png"), full_page=True)
        done = [v["id"] for v in audit(axe, page) if v["impact"] in BLOCKING]
        assert (waiting, done) == ([], [])
    finally:
        context.close()
