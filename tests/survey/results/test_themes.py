"""Themes in the product: proposed by a job `flask dispatch` runs, accepted, renamed, merged and rejected,
tagging old comments (the job) and new ones (at submission), corrections that stick, and
each accepted theme tested as a share of comments in trend detection."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from survey.alerts import trends
from survey.background import dispatch, jobs
from survey.extensions import db
from survey.models import Alert, Response, ResponseTag, Theme
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import browsing, theme_tags, themes
from tests.factories import NOW, add_comments, make_survey, make_user

WAITING = ["I waited forty minutes in the queue", "The queue was long and the wait endless",
           "Long wait on hold before anyone answered", "Temps d'attente trop long au téléphone",
           "L'attente au téléphone était interminable", "Waited in the queue for an hour"]
FRIENDLY = ["The agent was friendly and helpful", "Friendly agent, very helpful indeed",
            "Conseillère aimable et compétente", "Un conseiller très aimable et compétent",
            "Helpful staff and a friendly agent", "Personnel aimable, conseillère compétente"]
OTHER = ["Nothing to add", "All fine", "Rien à ajouter"]


def accepted(survey, name: str, terms: list[str]) -> Theme:
    theme = Theme(survey_id=survey.id, name=name, status="accepted", terms=terms, top_terms=terms, examples=[],
                  created_at=NOW)
    db.session.add(theme)
    db.session.commit()
    return theme


def tags_of(response_id: int) -> dict[str, str]:
    return {tag: source for tag, source in db.session.execute(
        select(ResponseTag.tag, ResponseTag.source).where(ResponseTag.response_id == response_id))}


def test_proposing_runs_as_a_job_and_accepting_tags_old_comments_in_a_job(ctx):
    survey = make_survey()
    user = make_user(role="analyst")
    ids = add_comments(survey, [(date(2026, 10, 1 + i % 28), None, text)
                                for i, text in enumerate((WAITING + FRIENDLY + OTHER) * 3)])
    job = jobs.propose_themes(survey, now=NOW, owner=user)
    assert jobs.propose_themes(survey, now=NOW, owner=user).id == job.id  # one waiting job is enough
    assert dispatch.run_once(now=NOW).jobs == 1
    db.session.refresh(job)
    assert job.state == "done" and job.outcome["comments"] == 45 and job.outcome["proposals"] >= 2
    assert jobs.result_line(job).startswith(f"{job.outcome['proposals']} themes proposed from 45 comments")
    proposals = db.session.scalars(select(Theme).where(Theme.status == "proposed")).all()
    waiting = next(p for p in proposals if "queue" in p.top_terms)
    assert 2 <= len(waiting.examples) <= 3 and set(waiting.examples) <= set(ids)
    assert any("aimable" in p.top_terms for p in proposals)  # French comments have themes of their own

    tagging = jobs.change_themes(survey, lambda: themes.accept(waiting, name=" Waiting  Time ",
                                                               terms="wait*, queue\nattente", actor=user, now=NOW),
                                 now=NOW, owner=user)
    assert waiting.name == "waiting time" and waiting.terms == ["wait*", "queue", "attente"]
    assert tagging is not None and tagging.kind == "theme_tagging"
    assert dispatch.run_once(now=NOW).jobs == 1
    db.session.refresh(tagging)
    assert tagging.state == "done" and tagging.outcome == {"after": ids[-1], "responses": 45, "added": 18,
                                                           "removed": 0}
    tagged = set(db.session.scalars(select(ResponseTag.response_id).where(ResponseTag.tag == "waiting time")))
    assert tagged == {rid for rid, text in zip(ids, (WAITING + FRIENDLY + OTHER) * 3, strict=True) if text in WAITING}

    # Proposing again leaves out what was decided and replaces the undecided proposals.
    jobs.propose_themes(survey, now=NOW, owner=user)
    dispatch.run_once(now=NOW)
    assert db.session.scalar(select(func.count(Theme.id)).where(Theme.name == "waiting time")) == 1


def test_new_comments_are_tagged_at_submission_in_any_language_and_corrections_stick(ctx):
    survey = make_survey()
    user = make_user(role="analyst")
    accepted(survey, "waiting time", ["wait*", "queue", "attente"])
    accepted(survey, "friendly staff", ["friendly", "aimable"])

    def submit(key: str, comment: str, submission: str) -> int:
        return submit_response(survey.current_version, Respondent(key=key, source="link"),
                               {"satisfaction": 3, "comment": comment}, Consents(), submission_key=submission,
                               now=NOW).response_id

    french = submit("fr", "Très aimable, mais l'attente était longue", "s" * 20)
    english = submit("en", "I WAITED an hour in the queue", "t" * 20)
    silent = submit_response(survey.current_version, Respondent(key="none", source="link"), {"satisfaction": 5},
                             Consents(), submission_key="u" * 20, now=NOW).response_id
    assert tags_of(french) == {"waiting time": "auto", "friendly staff": "auto"}
    assert tags_of(english) == {"waiting time": "auto"}
    assert tags_of(silent) == {}

    # A manager takes "waiting time" off the French response: neither an edit nor re-tagging gives it back.
    response = db.session.get(Response, french)
    assert browsing.untag_response(response, "Waiting time", actor=user, now=NOW)
    submit("fr", "L'attente, encore l'attente, mais aimable", "v" * 20)
    theme_tags.tag_survey(survey.id, now=NOW)
    assert tags_of(french) == {"friendly staff": "auto"}
    # An edit that no longer mentions a theme loses its automatic tag; a person's tag is never taken off.
    browsing.tag_response(db.session.get(Response, english), "friendly staff", actor=user, now=NOW)
    submit("en", "Everything was fine", "w" * 20)
    assert tags_of(english) == {"friendly staff": "manual"}
    # Tagging by hand again undoes the correction, and makes the tag a person's.
    browsing.tag_response(db.session.get(Response, french), "waiting time", actor=user, now=NOW)
    theme_tags.tag_survey(survey.id, now=NOW)
    assert tags_of(french) == {"friendly staff": "auto", "waiting time": "manual"}


def test_rename_merge_and_reject_carry_tags_along(ctx):
    survey = make_survey()
    user = make_user(role="analyst")
    ids = add_comments(survey, [(date(2026, 10, 1), None, text) for text in ("long queue", "slow wait", "fine")])
    queue = accepted(survey, "queue", ["queue"])
    wait = accepted(survey, "wait", ["wait"])
    theme_tags.tag_survey(survey.id, now=NOW)
    browsing.tag_response(db.session.get(Response, ids[2]), "wait", actor=user, now=NOW)  # a person's tag

    assert jobs.change_themes(survey, lambda: themes.edit(wait, name="Waiting", terms="wait", actor=user, now=NOW),
                              now=NOW, owner=user) is None  # renamed only: nothing to tag again
    assert tags_of(ids[1]) == {"waiting": "auto"} and tags_of(ids[2]) == {"waiting": "manual"}
    job = jobs.change_themes(survey, lambda: themes.merge(queue, wait, actor=user, now=NOW), now=NOW, owner=user)
    assert job is not None and queue.status == "merged" and wait.terms == ["wait", "queue"]
    assert tags_of(ids[0]) == {"waiting": "auto"}
    jobs.change_themes(survey, lambda: themes.reject(wait, actor=user, now=NOW), now=NOW, owner=user)
    assert tags_of(ids[0]) == {} and tags_of(ids[1]) == {} and tags_of(ids[2]) == {"waiting": "manual"}


MONTHS = [date(2026, m, 10) for m in range(7, 12)]  # July … November; December is the current month


def test_a_rise_in_mentions_of_a_theme_is_an_alert_with_its_interval_and_q_value(ctx, runner):
    survey = make_survey()
    accepted(survey, "waiting time", ["wait*", "queue"])
    rows = []
    for day in MONTHS:
        leeds = 40 if day.month == 11 else 10  # a quarter more of Leeds' comments are about waiting
        rows += [(day, "Leeds", "Waited in the queue" if i < leeds else "Fine") for i in range(100)]
        rows += [(day, "York", "Waited in the queue" if i < 10 else "Fine") for i in range(100)]
    add_comments(survey, rows)
    theme_tags.tag_survey(survey.id, now=NOW)

    series = {(s.question, s.segment): s for s in trends.theme_series(survey, [d.replace(day=1) for d in MONTHS],
                                                                      "month", ["location"])}
    assert set(series) == {("waiting time", ()), ("waiting time", (("location", "Leeds"),)),
                           ("waiting time", (("location", "York"),))}
    assert [(p.n, p.successes) for p in series[("waiting time", ())].periods] == [(200, 20)] * 4 + [(200, 50)]

    result = runner.invoke(args=["detect-trends", "--json", "--now", "2026-12-05"])
    assert result.exit_code == 0, result.output
    findings = [f for f in json.loads(result.output) if f["metric"] == "mentions"]
    change = next(f for f in findings if f["segment"] == {"location": "Leeds"} and f["kind"] == "change")
    assert change == change | {"question": "waiting time", "period_before": "2026-10", "period_after": "2026-11",
                               "n_before": 100, "n_after": 100, "successes_before": 10, "successes_after": 40,
                               "value_before": 0.1, "value_after": 0.4, "difference": 0.3, "direction": "rise",
                               "recovered": False}
    assert 0 < change["ci_low"] < 0.3 < change["ci_high"] and change["q_value"] <= 0.05
    gap = next(f for f in findings if f["kind"] == "gap")
    assert gap["segment"] == {"location": "Leeds"} and gap["direction"] == "rise"
    assert not [f for f in findings if f["segment"] == {"location": "York"}]
    alert = next(a for a in db.session.scalars(select(Alert).where(Alert.metric == "mentions", Alert.kind == "change"))
                 if a.segment == {"location": "Leeds"})
    assert trends.headline(alert) == "▲ More mentions"
    assert "share of comments mentioning “waiting time” rose from 2026-10 to 2026-11: 10 % → 40 %" \
        in trends.describe(alert)
