"""Exports of the filtered view (analysts and above): the responses a results or browser page shows, as
streamed CSV or as an Excel workbook, and the results page's own numbers as CSV or Excel. The filter comes
from the query string, like the pages'; without dates a responses export is not bounded in time (the pages
link with their dates filled in)."""
from __future__ import annotations

import contextlib
import functools
import io
import tempfile

from flask import Response, current_app, request, stream_with_context

from survey.clock import local_date, utcnow
from survey.results import dashboard
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.transfer import exports as exporting
from survey.transfer import results_export
from survey.views.manage.blueprint import section, survey_or_404

bp = section("exports", __name__, read="analyst")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024




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
    # With a BOM, so Excel opens it as UTF-8 (accents intact); the command line writes none unless asked.
    return Response(stream_with_context(exporting.csv_chunks(selection, bom=True)), mimetype="text/csv",
                    headers=_attachment(selection.survey.slug, "csv"))


@bp.route("/surveys/<slug>/responses.xlsx")
def responses_xlsx(slug: str):
    """The workbook is a zip, written whole before sending: into a temporary file, so memory stays flat."""
    selection = _selection(slug)
    if isinstance(selection, Response):
        return selection
    with contextlib.ExitStack() as stack:
        spool = stack.enter_context(tempfile.TemporaryFile())
        exporting.write_xlsx(selection, spool)
        size = spool.tell()
        spool.seek(0)
        response = Response(iter(functools.partial(spool.read, CHUNK), b""), mimetype=XLSX,
                            headers={**_attachment(selection.survey.slug, "xlsx"), "Content-Length": str(size)})
        # The file outlives this function: the server closes the response when it is done, and that closes
        # the file, also when the body is never read (a HEAD request, a client gone before the first block).
        response.call_on_close(stack.pop_all().close)
    return response


@bp.route("/surveys/<slug>/results.<any(csv, xlsx):extension>")
def results_file(slug: str, extension: str):
    """The results page's numbers under the same filter (a few hundred rows: built in memory)."""
    survey = survey_or_404(slug)
    settings = Settings.from_config(current_app.config)
    parsed = parse_filter(request.args, segment_names=settings.segment_names)
    if parsed.problems:
        return Response("Nothing was exported. " + " ".join(parsed.problems) + "\n", status=400,
                        mimetype="text/plain")
    board = dashboard.build(survey, parsed.filter, today=local_date(utcnow(), current_app.config["TIMEZONE"]),
                            settings=settings)
    if extension == "csv":
        text = io.StringIO()
        results_export.write_results(board, text, "csv", bom=True)
        return Response(text.getvalue(), mimetype="text/csv", headers=_attachment(slug, "csv", "results"))
    workbook = io.BytesIO()
    results_export.write_results(board, workbook, "xlsx")
    return Response(workbook.getvalue(), mimetype=XLSX, headers=_attachment(slug, "xlsx", "results"))
