"""Results dashboard (analysts and above): headline cards, charts and tables for one survey under a
shareable filter. Charts are SVG images inlined as data URIs, so the page is one request and works
without JavaScript; each has a text alternative and a table beside it."""
from __future__ import annotations

from base64 import b64encode
from functools import lru_cache

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from survey import charts, dashboard
from survey.clock import local_date, utcnow
from survey.filters import parse_filter
from survey.views.manage import survey_or_404

bp = Blueprint("results", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def guard():
    if not current_user.has_role("analyst"):
        abort(403)


@lru_cache(maxsize=512)
def _svg_uri(chart: charts.Chart) -> str:
    """Rendering is the slow part and charts are deterministic: the same data is drawn once per process."""
    return "data:image/svg+xml;base64," + b64encode(chart.svg()).decode("ascii")


@bp.route("/surveys/<slug>/results")
def survey_results(slug: str):
    survey = survey_or_404(slug)
    settings = dashboard.Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    board = dashboard.build(survey, parsed.filter, today=today, settings=settings)
    return render_template(
        "results/dashboard.html", board=board, problems=parsed.problems, chart_uri=_svg_uri,
        figures=dashboard.figures(board), segment_choices=dashboard.segment_choices(survey, settings.segment_names),
        fmt=dashboard.format_value, diff=dashboard.format_difference,
    ), 400 if parsed.problems else 200
