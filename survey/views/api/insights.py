"""Why satisfaction moved: a survey's key drivers (the numbers of its key drivers page) and its themes (what
its themes page proposes and what was accepted). Theme alerts are alerts like any other (feedback_loop.py)."""
from __future__ import annotations

from flask import current_app, jsonify, request

from survey.clock import local_date, utcnow
from survey.results import drivers, themes
from survey.views.api.registry import ApiError, Param, operation
from survey.views.api.schemas import ref
from survey.views.api.surveys import FILTER_PARAMS, results_filter, survey_or_404

TAG = "Insights"


def drivers_body(found: drivers.Drivers) -> dict:
    key = found.found
    return {
        "first_day": found.first_day.isoformat(), "last_day": found.last_day.isoformat(),
        "overall": found.overall.key if found.overall else None,
        "attributes": [rating.key for rating in found.attributes],
        "n": key.n if key else 0, "minimum_n": key.minimum if key else None,
        "enough": bool(key and key.enough), "r_squared": key.r_squared if key else None,
        "resamples": found.resamples, "notes": list(found.problems),
        "drivers": [{"key": row.key, "text": row.text, "importance": row.importance, "share": row.share,
                     "low": row.low, "high": row.high, "top_box_share": row.score, "mean": row.mean,
                     "fix_first": row.fix_first} for row in found.rows],
    }


@operation("/surveys/<slug>/drivers", "GET", role="analyst", summary="Key drivers of the overall rating", tag=TAG,
           params=(*FILTER_PARAMS,
                   Param("overall", {"type": "string", "minLength": 1, "maxLength": 200},
                         "the overall rating's key (default: the first rating question)"),
                   Param("attributes", {"type": "string", "minLength": 1, "maxLength": 2000},
                         "the attribute ratings' keys, comma-separated (default: every other rating question "
                         "and matrix statement)")),
           description="The key drivers page's numbers: each attribute rating's relative importance for the "
                       "overall rating (LMG: its Shapley share of R², as R's relaimpo computes it) with a 95 % "
                       "bootstrap interval, its share of R², its top-box share and mean, and `fix_first` (more "
                       "important than an equal share and scored below the attributes' average), over complete "
                       "responses. Below `minimum_n` complete responses `enough` is false and nothing is ranked. "
                       "Without from/to: the results page's last complete periods.",
           responses={200: ("Key drivers", ref("Drivers")), 404: ("No survey with that slug", ref("Error")),
                      400: ("A query parameter is not valid", ref("Error"))}, scoped=True)
def survey_drivers(slug: str):
    survey = survey_or_404(slug)
    chosen = results_filter({name: value for name, value in request.args.items()
                             if name not in ("overall", "attributes")})
    keys = [key.strip() for key in request.args.get("attributes", "").split(",") if key.strip()]
    overall = request.args.get("overall")
    _overall, _attributes, problems = drivers.choose(survey, overall, keys)  # the page shows and skips these
    if problems:
        raise ApiError(400, "invalid_parameter", problems[0], problems[0].partition(":")[0])
    found = drivers.build(survey, chosen, today=local_date(utcnow(), current_app.config["TIMEZONE"]),
                          overall=overall, attributes=keys)
    return jsonify(drivers_body(found))


@operation("/surveys/<slug>/themes", "GET", role="analyst", summary="A survey's themes", tag=TAG,
           description="Accepted themes (the tag each gives responses, its terms, and how many responses carry "
                       "it), proposals waiting for a decision (their strongest terms and how many comments each "
                       "leads), and rejected names. Accepted themes' shares of comments are tested in trend "
                       "detection like every other share: their alerts are at /alerts.",
           responses={200: ("Themes", ref("Themes")), 404: ("No survey with that slug", ref("Error"))})
def survey_themes(slug: str):
    found = themes.overview(survey_or_404(slug))
    return jsonify({
        "accepted": [{"name": theme.name, "terms": list(theme.terms), "responses": found.tagged.get(theme.name, 0)}
                     for theme in found.accepted],
        "proposed": [{"id": theme.id, "name": theme.name, "top_terms": list(theme.top_terms),
                      "comments": theme.comments or 0} for theme in found.proposed],
        "rejected": [theme.name for theme in found.rejected],
    })
