"""`make bench`: run every benchmark, each in its own process, then write docs/benchmarks.md and
bench/figures.json, and call out any figure more than 25 % worse than the committed one.

    .venv/bin/python bench/run.py                     # everything, full size (about 25 minutes)
    .venv/bin/python bench/run.py --only dispatch_email export_csv
    .venv/bin/python bench/run.py --quick             # small data: checks the benches work, writes nothing
    .venv/bin/python bench/run.py --doc-only          # the table again from bench/figures.json

A regression is judged on the ratio to the same run's baseline where the figure has one (the machines are
shared and noisy: the ratio cancels most of that), otherwise on the median itself. The exit status is 0
when every bench ran and nothing regressed, 1 when a bench failed, 3 when a figure regressed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, describe, show  # noqa: E402

BENCH = ROOT / "bench"
FIGURES = BENCH / "figures.json"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:figures -->", "<!-- /bench:figures -->"
REGRESSION = 0.25

# In the order of the table; each runs with its own defaults (the full sizes).
BENCHES = ("survey_submit", "survey_page", "changes_page", "detect_trends", "dashboard", "alert_page",
           "changes_digest", "export_csv", "contact_import", "response_import", "dispatch_email", "scale_out",
           "theme_proposals")


def run_bench(name: str, quick: bool, runs: int | None) -> list[Figure]:
    """One bench in a child process; its figures come back through a JSON file, its output goes to ours."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(out)]
        command += ["--quick"] if quick else []
        command += ["--runs", str(runs)] if runs else []
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
        return [Figure(**{**data, "bench": name}) for data in json.loads(out.read_text())]


def regressions(new: list[Figure], old: list[Figure]) -> list[str]:
    """Sentences naming each figure more than 25 % worse than its committed value."""
    before = {figure.key: figure for figure in old}
    found = []
    for figure in new:
        previous = before.get(figure.key)
        if previous is None:
            continue
        if figure.ratio is not None and previous.ratio is not None:
            if figure.ratio < previous.ratio * (1 - REGRESSION):
                found.append(f"{figure.title}: {figure.ratio:.0%} of the baseline's speed, was {previous.ratio:.0%}")
            continue
        worse = (figure.median < previous.median * (1 - REGRESSION) if figure.better == "higher" else
                 figure.median > previous.median * (1 + REGRESSION))
        if worse:
            found.append(f"{figure.title}: {show(figure.median)} {figure.unit}, was {show(previous.median)} "
                         f"{previous.unit}")
    return found


def goal_text(figure: Figure) -> str:
    goals = []
    if figure.goal_ratio is not None:
        goals.append(f"≥ {figure.goal_ratio:.0%} of baseline")
    if figure.goal_limit is not None:
        goals.append(f"{'≥' if figure.better == 'higher' else '<'} {show(figure.goal_limit)} {figure.unit}")
    verdict = {True: " ✔", False: " ✘", None: ""}[figure.met]
    return "; ".join(goals) + verdict if goals else "—"


def ratio_text(figure: Figure) -> str:
    if figure.ratio is None:
        return "—"
    text = f"{figure.ratio:.0%}"
    if figure.goal_ratio is not None and (text == f"{figure.goal_ratio:.0%}") != (figure.ratio == figure.goal_ratio):
        text = f"{figure.ratio:.1%}"  # 69.7 %, not a "70 %" that misses a 70 % goal
    return text


def table(figures: list[Figure]) -> str:
    lines = ["| figure | median (runs) | baseline, same run | ratio | goal |", "|---|---|---|---|---|"]
    for figure in figures:
        measured = f"**{show(figure.median)} {figure.unit}** ({', '.join(show(v) for v in figure.runs)})"
        if figure.note:
            measured += f"; {figure.note}"
        baseline = "—"
        if figure.baseline_runs:
            baseline = (f"{figure.baseline}: {show(figure.baseline_median)} {figure.unit} "
                        f"({', '.join(show(v) for v in figure.baseline_runs)})")
        elif figure.baseline:
            baseline = figure.baseline
        ratio = ratio_text(figure)
        lines.append(f"| {figure.title} | {measured} | {baseline} | {ratio} | {goal_text(figure)} |")
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()[0]
    versions = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    try:
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version", "test"],
                              capture_output=True, text=True, timeout=10)
        if done.returncode == 0:
            versions.append(f"PostgreSQL {done.stdout.strip().split()[0]}")
    except (OSError, subprocess.SubprocessError):
        pass
    return f"load average {load:.1f} at the end; {os.cpu_count()} cores, {', '.join(versions)}"


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def write_doc(figures: list[Figure], record: dict, found: list[str]) -> None:
    by_source: dict[str, list[str]] = {}
    for name, source in record.get("sources", {}).items():
        by_source.setdefault(source, []).append(name)
    measured = "; ".join(f"{', '.join(names)} on {source}" for source, names in by_source.items())
    section = [BEGIN, "", f"Measured by `make bench`: {measured}.",
               "Each figure is the median of several runs (every run listed); the ratio is the speed against the "
               "same run's baseline (100 % = as fast as the baseline).", "", table(figures), ""]
    if found:
        section += ["**Regressions of more than 25 % against the previous figures:**", ""]
        section += [f"- {sentence}" for sentence in found] + [""]
    section.append(END)
    text = DOC.read_text()
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(section) + rest.split(END, 1)[1]
    else:
        raise SystemExit(f"{DOC} has no {BEGIN} … {END} section to replace")
    DOC.write_text(text)


def load_committed() -> tuple[dict, list[Figure]]:
    if not FIGURES.exists():
        return {}, []
    record = json.loads(FIGURES.read_text())
    return record, [Figure(**data) for data in record["figures"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, metavar="BENCH", help=f"some of: {', '.join(BENCHES)}")
    parser.add_argument("--quick", action="store_true", help="small data; prints figures, writes nothing")
    parser.add_argument("--runs", type=int, help="runs per figure (default: each bench's own)")
    parser.add_argument("--doc-only", action="store_true",
                        help="measure nothing: write docs/benchmarks.md again from bench/figures.json")
    args = parser.parse_args()
    if args.doc_only:
        record, committed = load_committed()
        write_doc(committed, record, [])
        return

    figures, failed = [], []
    for name in args.only or BENCHES:
        try:
            figures += run_bench(name, args.quick, args.runs)
        except subprocess.CalledProcessError as error:
            failed.append(name)
            print(f"!! {name} failed (exit status {error.returncode})", flush=True)

    _, committed = load_committed()
    found = [] if args.quick else regressions(figures, committed)
    print("\n== figures ==")
    for figure in figures:
        print(describe(figure))
    if not args.quick:
        # A partial run (--only, or a failed bench) keeps the committed figures of the benches it did not run.
        measured = {figure.key for figure in figures}
        merged = figures + [figure for figure in committed if figure.key not in measured]
        order = {name: i for i, name in enumerate(BENCHES)}
        merged.sort(key=lambda figure: order.get(figure.bench, len(order)))  # stable: a bench's own order stays
        previous, _ = load_committed()
        now = f"{datetime.now(UTC):%Y-%m-%d} at commit {commit()} ({machine()})"
        # Where each bench's figures come from: this run, or an earlier one that this run kept.
        sources = {**previous.get("sources", {}), **{figure.bench: now for figure in figures}}
        record = {"sources": {name: sources[name] for name in BENCHES if name in sources},
                  "figures": [figure.to_json() for figure in merged]}
        FIGURES.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
        write_doc(merged, record, found)
        print(f"\nwrote {DOC.relative_to(ROOT)} and {FIGURES.relative_to(ROOT)}")
    for sentence in found:
        print(f"REGRESSION (> 25 % worse than the committed figure): {sentence}")
    if failed:
        print(f"failed: {', '.join(failed)}")
        raise SystemExit(1)
    if found:
        raise SystemExit(3)


if __name__ == "__main__":
    main()
