"""Importing historical responses into a survey from a CSV file (editors and admins): upload, one domain
call, then the outcome or every problem by row and column. Nothing is stored unless every row is good.

Editors only, for looking too: the page exists to change a survey's data, and its problem report quotes
the file's cells (addresses among them). CSRFProtect checks the POST before the view runs.
"""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired

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
    outcome = refused = None
    if form.validate_on_submit():
        upload = form.file.data
        # The file name is only tested, never shown back: it is whatever the uploader chose to send.
        if not (upload.filename or "").lower().endswith(".csv"):
            form.file.errors = ["Choose a .csv file (save it from your spreadsheet as “CSV UTF-8”)."]
        else:
            try:
                outcome = response_import.import_responses(survey, upload.stream, now=utcnow(),
                                                           actor=f"user:{current_user.id}", actor_id=current_user.id)
            except response_import.ResponseImportError as error:
                refused = error
    status = 422 if form.errors or refused else 200
    return render_template("manage/responses/import.html", survey=survey, form=form, outcome=outcome,
                           refused=refused, questions=response_import.question_columns(survey)), status
