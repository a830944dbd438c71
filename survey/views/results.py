"""Results dashboard (analysts and above): headline cards, charts and tables for one survey under a
shareable filter. Each chart has a text alternative and a table beside it, and is an SVG image of its own
(works without JavaScript).

Drawing is the slow part (matplotlib: 50–110 ms a chart) and a new response changes nearly every chart, so
a page that drew them all took seconds on an active survey. The page now only names them: each chart's URL
carries its data, signed (itsdangerous, so only data this server computed is ever drawn), and is drawn when
the browser asks for it — the cards and tables show at once, the charts arrive as they are drawn, by every
worker in parallel. The same data is the same URL, so browsers keep unchanged charts (`immutable`) and
fetch only what changed; each process also memoises its drawings. A chart with too much data for a URL
(`CHART_URL_LIMIT`) is inlined in the page instead."""
from __future__ import annotations

from base64 import b64encode
from functools import lru_cache

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

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


CHART_SALT = "hearken.results-chart"
# The chart's own policy: nothing to load or run, its own inline style only (matplotlib writes a <style>).
CHART_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
CHART_CACHE = "private, max-age=86400, immutable"  # the URL is its content
# A chart's URL grows with its data (a weekly trend over two years signs to ≈4 800 characters), and gunicorn
# refuses a request line over 4 094 bytes (its default limit_request_line): a chart whose URL would be
# longer than this is drawn with the page and inlined, as every chart once was.
CHART_URL_LIMIT = 3000


def _chart_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=CHART_SALT)


def _chart_src(chart: charts.Chart) -> str:
    url = url_for("results.chart_image", drawing=_chart_signer().dumps(charts.drawing_of(chart)))
    if len(url) <= CHART_URL_LIMIT:
        return url
    return "data:image/svg+xml;base64," + b64encode(_svg(chart)).decode("ascii")


@lru_cache(maxsize=512)
def _svg(chart: charts.Chart) -> bytes:
    """Charts are deterministic: the same data is drawn once per process."""
    return chart.svg()


@bp.route("/charts/<drawing>.svg")
def chart_image(drawing: str):
    """`drawing`: a chart's data, signed, not a secret (the page behind the same login shows it)."""
    try:
        chart = charts.chart_from_drawing(_chart_signer().loads(drawing))
    except (BadSignature, ValueError, TypeError, KeyError):  # not ours, or signed by a release drawing otherwise
        abort(404)
    response = make_response(_svg(chart))
    response.headers.update({"Content-Type": "image/svg+xml", "Cache-Control": CHART_CACHE,
                             "Content-Security-Policy": CHART_SECURITY_POLICY})
    return response


@bp.route("/surveys/<slug>/results")
def survey_results(slug: str):
    survey = survey_or_404(slug)
    settings = dashboard.Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    board = dashboard.build(survey, parsed.filter, today=today, settings=settings)
    return render_template(
        "results/dashboard.html", board=board, asked=parsed.filter, problems=parsed.problems, chart_src=_chart_src,
        figures=dashboard.figures(board), segment_choices=dashboard.segment_choices(survey, settings.segment_names),
        fmt=dashboard.format_value, diff=dashboard.format_difference,
        explain=dashboard.verdict_explanation,
    ), 400 if parsed.problems else 200
