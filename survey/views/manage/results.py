"""Results dashboard (analysts and above): headline cards, charts and tables for one survey under a
shareable filter. Each chart has a text alternative and a table beside it, and is drawn into the page as
SVG (works without JavaScript, and the page is whole when it arrives).

Drawing a chart is string formatting (survey.results.canvas: about a millisecond), so the page draws every chart
itself. Until 2026-12 matplotlib took 50–110 ms a chart and the page only named its charts, each drawn by
a request of its own from signed data; that machinery went with it."""
from __future__ import annotations

from functools import lru_cache

from flask import current_app, render_template, request
from markupsafe import Markup

from survey.clock import local_date, utcnow
from survey.results import charts, dashboard, drivers
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.views.manage.blueprint import section, survey_or_404

bp = section("results", __name__, read="analyst", scoped="all")


@lru_cache(maxsize=512)
def _svg(chart: charts.Chart) -> Markup:
    """A chart as markup for the page: its text is escaped by survey.results.canvas, nothing in it runs or loads.
    Charts are deterministic, so the same chart is drawn once per process."""
    return Markup(chart.svg(labelled=True).decode("utf-8"))


@bp.route("/surveys/<slug>/results")
def survey_results(slug: str):
    survey = survey_or_404(slug)
    settings = Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    board = dashboard.build(survey, parsed.filter, today=today, settings=settings)
    return render_template(
        "manage/results/dashboard.html", board=board, asked=parsed.filter, problems=parsed.problems, chart_svg=_svg,
        figures=dashboard.figures(board), comment_figures=dashboard.comment_figures(board),
        segment_choices=dashboard.segment_choices(survey, settings.segment_names),
        explain=dashboard.verdict_explanation,
    ), 400 if parsed.problems else 200


@bp.route("/surveys/<slug>/drivers")
def survey_drivers(slug: str):
    """Key drivers: the attributes' relative importance for the overall rating, under the results filter."""
    survey = survey_or_404(slug)
    settings = Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    found = drivers.build(survey, parsed.filter, today=today, overall=request.args.get("overall", "").strip(),
                          attributes=[key.strip() for key in request.args.getlist("attribute") if key.strip()])
    problems = [*parsed.problems, *found.problems]
    return render_template(
        "manage/results/drivers.html", survey=survey, drivers=found, f=parsed.filter, problems=problems,
        chart=found.chart(), chart_svg=_svg, segment_choices=dashboard.segment_choices(survey, settings.segment_names),
    ), 400 if problems else 200
