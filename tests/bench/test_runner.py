"""bench/run.py (`make bench`): goals, the regression call-out and the generated section of the docs."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run  # noqa: E402
from common import Figure  # noqa: E402


def rate(value, baseline=None, **goals):
    return Figure(key="submit.rate", title="submit", unit="req/s", runs=[value * 0.9, value, value * 1.1],
                  baseline="bare WSGI", baseline_runs=[baseline] if baseline else [], **goals)


def seconds(value, **goals):
    return Figure(key="trends", title="detect-trends", unit="s", runs=[value], better="lower", **goals)


def test_ratio_is_speed_against_the_baseline_whichever_way_is_better():
    assert rate(300, baseline=600).ratio == pytest.approx(0.5)
    timed = Figure(key="t", title="t", unit="s", runs=[4.0], better="lower", baseline_runs=[1.0])
    assert timed.ratio == pytest.approx(0.25)


def test_goals_on_ratio_and_limit():
    assert rate(300, baseline=600, goal_ratio=0.5).met is True
    assert rate(290, baseline=600, goal_ratio=0.5).met is False
    assert rate(300, baseline=600, goal_ratio=0.5, goal_limit=400).met is False
    assert seconds(1.9, goal_limit=2).met is True
    assert seconds(2.0, goal_limit=2).met is False
    assert seconds(2.0).met is None


def test_regression_judged_on_the_ratio_when_there_is_a_baseline():
    # Twice as slow in absolute terms on a busier machine, same ratio: not a regression.
    assert run.regressions([rate(150, baseline=300)], [rate(300, baseline=600)]) == []
    found = run.regressions([rate(140, baseline=600)], [rate(300, baseline=600)])
    assert len(found) == 1 and "23% of the baseline's speed, was 50%" in found[0]


def test_regression_on_the_median_without_a_baseline():
    assert run.regressions([seconds(1.25)], [seconds(1.0)]) == []
    assert run.regressions([seconds(1.3)], [seconds(1.0)]) == ["detect-trends: 1.30 s, was 1.00 s"]
    assert run.regressions([seconds(0.2)], [seconds(1.0)]) == []  # faster is never a regression
    assert run.regressions([seconds(9)], []) == []                # a new figure has nothing to regress from


def test_the_docs_section_is_replaced_and_the_rest_kept(tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{run.BEGIN}\nold table\n{run.END}\n\n## What profiling found\nnotes\n")
    monkeypatch.setattr(run, "DOC", doc)
    record = {"sources": {"survey_submit": "2026-11-26 at commit abc1234 (2 cores)"}}
    run.write_doc([rate(300, baseline=600, goal_ratio=0.5)], record, ["submit: 23% of the baseline's speed, was 50%"])
    text = doc.read_text()
    assert "old table" not in text and text.startswith("# Benchmarks\n\nintro\n") and text.endswith("notes\n")
    assert "| submit | **300 req/s** (270, 300, 330) | bare WSGI: 600 req/s (600) | 50% | ≥ 50% of baseline ✔ |" in text
    assert "Measured by `make bench`: survey_submit on 2026-11-26 at commit abc1234 (2 cores)." in text
    assert "Regressions of more than 25 %" in text and "- submit: 23% of the baseline's speed, was 50%" in text


def test_a_ratio_just_under_its_goal_is_not_shown_rounded_up_to_it():
    assert run.ratio_text(rate(697, baseline=1000, goal_ratio=0.7)) == "69.7%"
    assert run.ratio_text(rate(700, baseline=1000, goal_ratio=0.7)) == "70%"
    assert run.ratio_text(rate(556, baseline=1000, goal_ratio=0.7)) == "56%"
    assert run.ratio_text(seconds(1.0)) == "—"
