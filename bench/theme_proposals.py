"""Benchmark: proposing themes from a survey's comments (issue 25: 100 000 comments in under 30 s, as a job).

Measured: what the job does (survey.results.themes.propose_themes) — reading the comments of the survey's
latest responses from SQLite, TF-IDF over words and word pairs, NMF, storing the proposals. Baseline, same
run: reading the same comments alone, so the ratio is what finding the themes adds.

The comments are synthetic but shaped like real ones: 4 to 20 words drawn from 3 000 made-up words, half of
them carrying a phrase of one of eight themes, in English or French.

    .venv/bin/python bench/theme_proposals.py --comments 100000 [--runs 3]
"""
from __future__ import annotations

import random
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, count, fresh_app, timed  # noqa: E402

NOW = datetime(2026, 11, 15, 9, 0)
THEMES = (("waited in the queue", "long wait on hold", "temps d'attente trop long"),
          ("friendly helpful agent", "polite staff", "conseiller aimable"),
          ("price too expensive", "higher prices", "tarif trop cher"),
          ("parcel arrived late", "delivery was delayed", "livraison en retard"),
          ("website kept crashing", "app login failed", "site internet en panne"),
          ("refund never arrived", "still waiting for my refund", "remboursement jamais reçu"),
          ("problem solved first time", "fixed my issue quickly", "problème résolu rapidement"),
          ("hard to reach by phone", "nobody answered the phone", "impossible de joindre"))
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fu", "go", "pe", "ri", "zo")


def comments(n: int) -> list[str]:
    rng = random.Random(n)
    vocabulary = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(4000)})
    vocabulary = vocabulary[:3000]
    texts = []
    for _ in range(n):
        words = rng.choices(vocabulary, k=rng.randint(4, 20))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words) + 1), rng.choice(rng.choice(THEMES)))
        texts.append(" ".join(words))
    return texts


def load(survey, texts: list[str]) -> None:
    """Responses with one comment each, written with the raw driver (setup, not measured)."""
    from survey.extensions import db

    version_id = survey.current_version.id
    start = date(2025, 11, 1)
    raw = db.session.connection().connection.driver_connection
    rows = []
    for i, _ in enumerate(texts):
        day = start + timedelta(days=i % 365)
        rows.append((i + 1, f"b:{i}", survey.id, version_id, "import", f"{day} 12:00:00", day.isoformat(),
                     f"{day} 12:00:00", 1, 0, 0, "{}"))
    raw.executemany("INSERT INTO responses (id, respondent_key, survey_id, version_id, source, submitted_at, "
                    "local_date, updated_at, revisions_count, quote_consent, contact_consent, attributes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    raw.executemany("INSERT INTO answers (response_id, question_key, value_text) VALUES (?, 'comment', ?)",
                    [(i + 1, text) for i, text in enumerate(texts)])
    db.session.commit()


def measure(n: int, runs: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import select

    from survey import authoring
    from survey.authoring.definitions import parse_survey
    from survey.extensions import db
    from survey.models import Response
    from survey.results import theme_tags, themes

    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp))
        with app.app_context():
            spec = parse_survey({"slug": "bench", "title": "Bench", "questions": [
                {"key": "comment", "type": "text", "text": "Anything else?", "long": True}]})
            survey = authoring.create_survey(spec, actor=None, now=NOW, publish=True)
            load(survey, comments(n))
            ids = list(db.session.scalars(select(Response.id).where(Response.survey_id == survey.id)))

            def propose():
                outcome = themes.propose_themes(survey, now=NOW)
                assert outcome["comments"] == n and outcome["proposals"] >= 4, outcome

            def read():
                for first in range(0, len(ids), themes.READ_BATCH):
                    theme_tags.comments_of(ids[first:first + themes.READ_BATCH])

            _, ours = timed(propose, runs)
            _, base = timed(read, runs)
            db.engine.dispose()
            return ours, base


def figures(args) -> list[Figure]:
    n = 2_000 if args.quick else args.comments
    ours, base = measure(n, args.runs)
    return [Figure(key=f"theme_proposals.{n}", title=f"themes proposed from {count(n)} comments", unit="s",
                   runs=ours, better="lower", baseline="reading the same comments", baseline_runs=base,
                   goal_limit=30.0, note="SQLite; TF-IDF over words and word pairs, NMF with 8 topics")]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument("--comments", type=int, default=100_000))
