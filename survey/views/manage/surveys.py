"""Manager pages: survey list, authoring, preview, import/export of definitions.

Any logged-in role may look, editors and admins may change (the section's declared access, enforced by
the one manager guard in survey.views.manage.blueprint). CSRFProtect checks every POST before it.
"""
from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey.authoring import starters
from survey.authoring.definitions import (
    DefinitionError,
    SurveySpec,
    parse_question,
    parse_survey,
    question_definition,
    question_spec,
    survey_definition,
)
from survey.authoring.editing import (
    AuthoringError,
    add_ces_question,
    add_question,
    change_status,
    create_from_spec,
    duplicate_survey,
    import_survey,
    move_question,
    remove_question,
    update_details,
    update_question,
)
from survey.clock import utcnow
from survey.links import external_url
from survey.responding.submission import parse_answers
from survey.results.overview import survey_overview
from survey.strict_json import JsonError, parse_json
from survey.tokens import new_token
from survey.views.forms import (
    ActionForm,
    DetailsForm,
    ImportForm,
    NewSurveyForm,
    QuestionForm,
    RespondForm,
    statement_lines,
)
from survey.views.manage.blueprint import section, survey_or_404
from survey.views.respond import render_survey

bp = section("surveys", __name__, read="agent", change="editor")






def _actor():
    return current_user._get_current_object()


@bp.route("/")
def index():
    return render_template("manage/index.html", surveys=survey_overview(), action=ActionForm())


@bp.route("/surveys/new", methods=["GET", "POST"])
def new_survey():
    form = NewSurveyForm()
    form.starter.choices = [SelectChoice("", "A blank survey")] + [
        SelectChoice(s.name, s.label) for s in starters.all_starters()]
    if form.validate_on_submit():
        spec = starters.starter(form.starter.data).spec if form.starter.data else SurveySpec("blank", "")
        survey = create_from_spec(spec, title=form.title.data.strip(), actor=_actor(), now=utcnow())
        flash("Survey created as a draft. Add or edit questions, preview it, then publish.")
        return redirect(url_for(".edit_survey", slug=survey.slug))
    return render_template("manage/new.html", form=form, starters=starters.all_starters())


def _editor(survey, *, question_form=None, details_form=None, status=200):
    version = survey.current_version
    details = details_form or DetailsForm(title=version.title, intro=version.intro,
                                          every_response=version.follow_up == "every_response")
    return render_template(
        "manage/edit.html", survey=survey, version=version, details=details,
        question_form=question_form or QuestionForm(formdata=None), action=ActionForm(),
        public_link=external_url("respond.public_survey", slug=survey.slug),
    ), status


@bp.route("/surveys/<slug>")
def edit_survey(slug: str):
    return _editor(survey_or_404(slug))


def _apply(survey, change, success: str, anchor: str | None = None):
    """Run one authoring change; report its refusal as a message rather than an error page. `anchor`: the
    part of the editor to come back to (on a phone the page is long)."""
    try:
        change()
    except AuthoringError as error:
        flash(str(error), "error")
    else:
        flash(success)
    return redirect(url_for(".edit_survey", slug=survey.slug, _anchor=anchor))


@bp.route("/surveys/<slug>/details", methods=["POST"])
def save_details(slug: str):
    survey = survey_or_404(slug)
    form = DetailsForm()
    if not form.validate():
        return _editor(survey, details_form=form, status=422)
    follow_up = "every_response" if form.every_response.data else "low_scores"
    return _apply(survey, lambda: update_details(survey, title=form.title.data.strip(),
                                                 intro=(form.intro.data or "").strip(), follow_up=follow_up,
                                                 now=utcnow()),
                  "Title, introduction and follow-ups saved.")


def _parsed_question(form: QuestionForm):
    if not form.validate():
        return None
    try:
        return parse_question(form.definition())
    except DefinitionError as error:
        form.show_problems(error.problems)
        return None


@bp.route("/surveys/<slug>/questions", methods=["POST"])
def add_question_view(slug: str):
    survey = survey_or_404(slug)
    form = QuestionForm()
    spec = _parsed_question(form)
    if spec is None:
        return _editor(survey, question_form=form, status=422)
    return _apply(survey, lambda: add_question(survey, spec, now=utcnow()), "Question added.")


@bp.route("/surveys/<slug>/presets/ces", methods=["POST"])
def add_ces_question_view(slug: str):
    survey = survey_or_404(slug)
    return _apply(survey, lambda: add_ces_question(survey, organisation=current_app.config["ORGANISATION_NAME"],
                                                   now=utcnow()),
                  "Customer Effort Score question added: edit its wording if it should name a team or product.")


@bp.route("/surveys/<slug>/questions/<key>", methods=["GET", "POST"])
def edit_question(slug: str, key: str):
    survey = survey_or_404(slug)
    question = survey.current_version.question(key)
    if question is None:
        abort(404)
    if request.method != "POST":
        data = question_definition(question_spec(question))
        form = QuestionForm(formdata=None, key=question.key, type=question.type, text=question.text,
                            why=question.why, required=question.required, long=question.long,
                            follow_up_at=question.follow_up_threshold,
                            options="\n".join(data.get("scale", data.get("options", []))),
                            statements=statement_lines(question.statements), other=question.offers_other,
                            minimum=_shown_limit(data.get("min")), maximum=_shown_limit(data.get("max")),
                            integer=bool(data.get("integer")), preset=data.get("preset", ""))
        return render_template("manage/question.html", survey=survey, question=question, form=form)
    form = QuestionForm()
    spec = _parsed_question(form)
    if spec is None:
        return render_template("manage/question.html", survey=survey, question=question, form=form), 422
    return _apply(survey, lambda: update_question(survey, key, spec, now=utcnow()), "Question saved.")


def _shown_limit(value) -> str:
    return "" if value is None else str(value)


@bp.route("/surveys/<slug>/questions/<key>/move", methods=["POST"])
def move_question_view(slug: str, key: str):
    survey = survey_or_404(slug)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    return _apply(survey, lambda: move_question(survey, key, offset, now=utcnow()), "Question moved.",
                  anchor=f"item-{key}")


@bp.route("/surveys/<slug>/questions/<key>/delete", methods=["POST"])
def delete_question(slug: str, key: str):
    survey = survey_or_404(slug)
    return _apply(survey, lambda: remove_question(survey, key, now=utcnow()), "Question removed.", anchor="questions")


@bp.route("/surveys/<slug>/<any(publish, close):action>", methods=["POST"])
def change_status_view(slug: str, action: str):
    survey = survey_or_404(slug)
    done = {"publish": "Survey published: customers can answer it now.", "close": "Survey closed."}[action]
    return _apply(survey, lambda: change_status(survey, action, now=utcnow()), done)


@bp.route("/surveys/<slug>/duplicate", methods=["POST"])
def duplicate(slug: str):
    survey = survey_or_404(slug)
    copy = duplicate_survey(survey, actor=_actor(), now=utcnow())
    flash(f"Duplicated as the draft {copy.slug!r}.")
    return redirect(url_for(".edit_survey", slug=copy.slug))


@bp.route("/surveys/<slug>/preview", methods=["GET", "POST"])
def preview(slug: str):
    """Exactly the customer's page; sending it validates the answers but stores nothing."""
    survey = survey_or_404(slug)
    version = survey.current_version
    form = RespondForm()
    if request.method != "POST":
        form.submission_key.data, form.version.data = new_token(), str(version.id)
        return render_survey(survey, version, form, {}, preview=True)
    fields = request.form.to_dict(flat=False)
    parsed = parse_answers(version.questions, fields)
    notice = None if parsed.errors else "These answers are valid. In the preview nothing is stored."
    return render_survey(survey, version, form, fields, errors=parsed.errors, preview=True, notice=notice,
                         status=422 if parsed.errors else 200)


@bp.route("/surveys/<slug>/definition.json")
def export_definition(slug: str):
    survey = survey_or_404(slug)
    body = json.dumps(survey_definition(survey.slug, survey.current_version), indent=2, ensure_ascii=False)
    return Response(body + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{survey.slug}.json"'})


@bp.route("/surveys/import", methods=["GET", "POST"])
def import_definition() -> ResponseReturnValue:
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            # The API's strict parser: a file nested 50 000 levels deep or holding NUL characters is refused
            # with a sentence, instead of overflowing the stack or the database.
            spec = parse_survey(parse_json(form.definition.data.read()))
            survey, created = import_survey(spec, actor=_actor(), now=utcnow())
        except JsonError as error:
            problems = ["The file is not UTF-8 text." if error.code == "invalid_encoding" else
                        f"The file is not a definition we can read: {error.message.replace('the body', 'the file')}."]
        except DefinitionError as error:
            problems = error.problems
        except AuthoringError as error:
            problems = [str(error)]
        else:
            flash(f"Imported {survey.slug!r}: " + ("created and published." if created else
                                                    f"published as version {survey.current_version.number}."))
            return redirect(url_for(".edit_survey", slug=survey.slug))
    status = 422 if problems or form.errors else 200
    return render_template("manage/import.html", form=form, problems=problems), status
