"""Importing historical responses into a survey from a CSV file (editors and admins): the upload becomes a
job (survey.background.jobs) and the browser goes to its page, which shows its progress and then the
outcome or every problem by row and column. Nothing is stored unless every row is good.

Editors only, for looking too: the page exists to change a survey's data, and its problem report quotes
the file's cells (addresses among them). CSRFProtect checks the POST before the view runs.
"""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

from survey.background import jobs
from survey.clock import utcnow
from survey.transfer import response_import
from survey.views.forms import Form
from survey.views.manage.blueprint import section, survey_or_404

bp = section("imports", __name__, read="editor")


class ResponsesImportForm(Form):
    file = FileField("Responses (CSV, UTF-8)", validators=[FileRequired("Choose a CSV file.")],
                     description="A header row: submitted_at, then optionally email, attr.<name> columns and one "
                                 "column per question key. The CSV export of a survey can be imported as it is.")




@bp.route("/surveys/<slug>/responses/import", methods=["GET", "POST"])
def import_responses(slug: str):
    survey = survey_or_404(slug)
    form = ResponsesImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not (upload.filename or "").lower().endswith(".csv"):
            form.file.errors = ["Choose a .csv file (save it from your spreadsheet as “CSV UTF-8”)."]
        else:
            job = jobs.submit("response_import", upload.stream, now=utcnow(), actor=f"user:{current_user.id}",
                              survey=survey, owner=current_user, input_name=jobs.file_name(upload.filename))
            return redirect(url_for("manage.jobs.job_page", job_id=job.id), 303)
    return render_template("manage/responses/import.html", survey=survey, form=form,
                           questions=response_import.question_columns(survey)), 422 if form.errors else 200
