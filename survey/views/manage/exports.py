"""Exports of the filtered view (analysts and above): the responses a results or browser page shows, as
streamed CSV or as an Excel workbook, and the results page's own numbers as CSV or Excel. The filter comes
from the query string, like the pages'; without dates a responses export is not bounded in time (the pages
link with their dates filled in). The responses as Excel are written by a job (POST: it makes a file)."""
from __future__ import annotations

import io

from flask import Response, current_app, redirect, request, stream_with_context, url_for
from flask_login import current_user

from survey.background import jobs
from survey.clock import local_date, utcnow
from survey.models import audit
from survey.results import dashboard
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.transfer import audit_log, results_export
from survey.transfer import exports as exporting
from survey.views.manage.blueprint import section, survey_or_404

bp = section("exports", __name__, read="analyst", scoped="all")



def _selection(slug: str) -> exporting.Selection | Response:
    """The responses the query string selects, or a 400 naming the bad filter value."""
    survey = survey_or_404(slug)
    parsed = parse_filter(request.args, segment_names=Settings.from_config(current_app.config).segment_names)
    if parsed.problems:
        return Response("Nothing was exported. " + " ".join(parsed.problems) + "\n", status=400,
                        mimetype="text/plain")
    return exporting.filtered(survey, parsed.filter, today=local_date(utcnow(), current_app.config["TIMEZONE"]))


def _attachment(slug: str, extension: str, what: str = "responses") -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{slug}-{what}.{extension}"',
            "Cache-Control": "no-store"}


@bp.route("/surveys/<slug>/responses.csv")
def responses_csv(slug: str):
    selection = _selection(slug)
    if isinstance(selection, Response):
        return selection
    audit_log.record_export("responses", f"survey:{selection.survey.id}", now=utcnow(), fmt="csv",
                            filter_args=request.args)
    # With a BOM, so Excel opens it as UTF-8 (accents intact); the command line writes none unless asked.
    return Response(stream_with_context(exporting.csv_chunks(selection, bom=True)), mimetype="text/csv",
                    headers=_attachment(selection.survey.slug, "csv"))


@bp.route("/surveys/<slug>/responses.xlsx", methods=["POST"])
def responses_xlsx(slug: str):
    """A workbook is a zip written whole before it can be sent (88 s at a million responses): a job
    writes it, and the browser goes to the job's page, which offers the file when it is ready."""
    selection = _selection(slug)
    if isinstance(selection, Response):
        return selection
    # In the job's transaction (jobs.submit commits): a POST's session holds the write lock until then.
    audit.record("responses.exported", f"survey:{selection.survey.id}", now=utcnow(),
                 **audit_log.export_detail("xlsx", request.args))
    job = jobs.submit("responses_xlsx", now=utcnow(), actor=f"user:{current_user.id}",
                      survey=selection.survey, owner=current_user,
                      params={"filter": list(request.args.items(multi=True))})
    return redirect(url_for("manage.jobs.job_page", job_id=job.id), 303)


@bp.route("/surveys/<slug>/results.<any(csv, xlsx):extension>")
def results_file(slug: str, extension: str):
    """The results page's numbers under the same filter (a few hundred rows: built in memory)."""
    survey = survey_or_404(slug)
    settings = Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    if parsed.problems:
        return Response("Nothing was exported. " + " ".join(parsed.problems) + "\n", status=400,
                        mimetype="text/plain")
    audit_log.record_export("results", f"survey:{survey.id}", now=utcnow(), fmt=extension,
                            filter_args=request.args)
    board = dashboard.build(survey, parsed.filter, today=local_date(utcnow(), current_app.config["TIMEZONE"]),
                            settings=settings)
    if extension == "csv":
        text = io.StringIO()
        results_export.write_results(board, text, "csv", bom=True)
        return Response(text.getvalue(), mimetype="text/csv", headers=_attachment(slug, "csv", "results"))
    workbook = io.BytesIO()
    results_export.write_results(board, workbook, "xlsx")
    return Response(workbook.getvalue(), mimetype=exporting.XLSX, headers=_attachment(slug, "xlsx", "results"))
