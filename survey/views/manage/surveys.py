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

from survey import languages
from survey.authoring import logic, starters, translator_files
from survey.authoring.definitions import (
    DefinitionError,
    SectionSpec,
    SurveySpec,
    parse_question,
    parse_section,
    parse_survey,
    question_definition,
    question_spec,
    survey_definition,
)
from survey.authoring.editing import (
    AuthoringError,
    LogicError,
    add_ces_question,
    add_question,
    add_section,
    change_slug,
    change_status,
    create_from_spec,
    duplicate_survey,
    import_survey,
    move_question,
    new_section_key,
    remove_question,
    remove_section,
    split_into_sections,
    update_details,
    update_question,
    update_section,
)
from survey.clock import utcnow
from survey.links import external_url
from survey.models import SurveyStatus
from survey.responding import pages
from survey.responding.submission import one_click_rating, parse_answers, preselect_first
from survey.results.overview import survey_overview
from survey.strict_json import JsonError, parse_json
from survey.tokens import new_token
from survey.views.forms import (
    ActionForm,
    AddressForm,
    DetailsForm,
    ImportForm,
    NewSurveyForm,
    QuestionForm,
    RespondForm,
    SectionForm,
    SplitForm,
    TranslationFileForm,
    statement_lines,
)
from survey.views.manage.blueprint import changes_nothing, form_page, section, survey_or_404
from survey.views.manage.confirming import confirmation, confirmed
from survey.views.respond import render_survey

bp = section("surveys", __name__, read="agent", change="editor", scoped="read")






def _actor():
    return current_user._get_current_object()


@bp.route("/")
def index():
    return render_template("manage/index.html", surveys=survey_overview(), action=ActionForm())


@bp.route("/surveys/new", methods=["GET", "POST"])
@form_page
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


def _offer_conditions(form: QuestionForm, version, key: str | None, *, fill: bool = False) -> None:
    """The question editor's choices for its conditions: the questions before `key` (all, for a new one)."""
    keys = [q.key for q in version.questions]
    earlier = version.questions[:keys.index(key)] if key in keys else version.questions
    question = version.question(key) if key else None
    own = _subjects([question]) if question is not None and question.type == "matrix" else None
    form.offer_conditions(_subjects(earlier), [(s["key"], s["title"]) for s in version.sections or ()],
                          question.show_if if question else None, question.end_if if question else None, fill=fill,
                          own=own)
    if fill and question is not None and "section" in form:
        form.section.data = question.section


def _subjects(questions) -> list[tuple[str, str]]:
    """What a condition on `questions` can read, as the editor offers it: each answer key with its label."""
    return [(key, label) for key, label, _type in logic.editor_subjects(questions)]


def _types(version) -> dict[str, str]:
    """Answer key → type, a matrix statement's as a rating: how a condition's value is typed."""
    return {key: kind for key, _label, kind in logic.editor_subjects(version.questions)}


def _save_question(survey, form: QuestionForm, change, success: str):
    """Run add_question/update_question; a broken condition is shown at its field, naming the question."""
    try:
        change()
    except LogicError as error:
        key = form.key.data.strip()
        for problem in error.problems:
            where, _, message = problem.partition(": ")
            field = (form.show_value if where.endswith(f"({key}).show_if") else
                     form.end_value if where.endswith(f"({key}).end_if") else
                     form.section if where.endswith(f"({key}).section") and "section" in form else form.key)
            field.errors = [*field.errors, message if field is not form.key else problem]
        return None
    except AuthoringError as error:
        flash(str(error), "error")
    else:
        flash(success)
    return redirect(url_for(".edit_survey", slug=survey.slug))


def _groups(version) -> list[tuple[dict | None, list]]:
    """The questions as the editor lists them: under their section (one group without a section when the
    survey has none), each as (position in the survey, question)."""
    numbered = list(enumerate(version.questions))
    if not version.sections:
        return [(None, numbered)]
    return [(section, [(i, q) for i, q in numbered if q.section == section["key"]]) for section in version.sections]


def _starts(version) -> list[tuple[str, str]]:
    """The questions a new section can start at: each one that is not the first of its section."""
    questions = version.questions
    return [(q.key, q.text) for i, q in enumerate(questions) if i > 0 and questions[i - 1].section == q.section]


def _offer_section(form: SectionForm, version, key: str | None = None, *, fill: bool = False) -> None:
    """A section's condition may read the questions before its first one (any, for a new one: its start is
    chosen in the same form, and a later question is refused at the field)."""
    section = next((s for s in version.sections or () if s["key"] == key), None)
    if section is None:
        form.offer_conditions(_subjects(version.questions), starts=_starts(version))
        return
    first = next((i for i, q in enumerate(version.questions) if q.section == key), len(version.questions))
    form.offer_conditions(_subjects(version.questions[:first]), section.get("show_if"), fill=fill)
    if fill:
        form.key.data, form.title.data, form.intro.data = section["key"], section["title"], section.get("intro", "")


def _editor(survey, *, question_form=None, details_form=None, address_form=None, section_form=None,
            split_form=None, status=200):
    version = survey.current_version
    if question_form is None:
        question_form = QuestionForm(formdata=None)
        _offer_conditions(question_form, version, None)
    if section_form is None:
        section_form = SectionForm(formdata=None, prefix="section")
        _offer_section(section_form, version)
    details = details_form or DetailsForm(title=version.title, intro=version.intro,
                                          every_response=version.follow_up == "every_response")
    return render_template(
        "manage/edit.html", survey=survey, version=version, details=details, groups=_groups(version),
        question_form=question_form or QuestionForm(formdata=None), action=ActionForm(),
        section_form=section_form, split_form=split_form or SplitForm(formdata=None, prefix="split"),
        address=address_form or AddressForm(formdata=None, slug=survey.slug),
        public_link=external_url("respond.public_survey", slug=survey.slug), describe=logic.describe,
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


@bp.route("/surveys/<slug>/address", methods=["POST"])
def change_address(slug: str):
    """A draft's web address; refused at the field, changing nothing, when it cannot be (published,
    malformed, taken)."""
    survey = survey_or_404(slug)
    form = AddressForm()
    if form.validate():
        try:
            change_slug(survey, form.slug.data.strip(), now=utcnow())
        except AuthoringError as error:
            form.slug.errors = [*form.slug.errors, str(error)]
        else:
            flash(f"The survey's address is now /s/{survey.slug}.")
            return redirect(url_for(".edit_survey", slug=survey.slug, _anchor="address"))
    return _editor(survey, address_form=form, status=422)


def _parsed_question(form: QuestionForm, version):
    if not form.validate():
        return None
    try:
        return parse_question(form.definition(_types(version)))
    except DefinitionError as error:
        form.show_problems(error.problems)
        return None


@bp.route("/surveys/<slug>/questions", methods=["POST"])
def add_question_view(slug: str):
    survey = survey_or_404(slug)
    form = QuestionForm()
    _offer_conditions(form, survey.current_version, None)
    spec = _parsed_question(form, survey.current_version)
    if spec is None:
        return _editor(survey, question_form=form, status=422)
    done = _save_question(survey, form, lambda: add_question(survey, spec, now=utcnow()), "Question added.")
    return done or _editor(survey, question_form=form, status=422)


@bp.route("/surveys/<slug>/presets/ces", methods=["POST"])
def add_ces_question_view(slug: str):
    survey = survey_or_404(slug)
    return _apply(survey, lambda: add_ces_question(survey, organisation=current_app.config["ORGANISATION_NAME"],
                                                   now=utcnow()),
                  "Customer Effort Score question added: edit its wording if it should name a team or product.")


@bp.route("/surveys/<slug>/questions/<key>", methods=["GET", "POST"])
@form_page
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
        _offer_conditions(form, survey.current_version, key, fill=True)
        return render_template("manage/question.html", survey=survey, question=question, form=form)
    form = QuestionForm()
    _offer_conditions(form, survey.current_version, key)
    spec = _parsed_question(form, survey.current_version)
    if spec is None:
        return render_template("manage/question.html", survey=survey, question=question, form=form), 422
    done = _save_question(survey, form, lambda: update_question(survey, key, spec, now=utcnow()), "Question saved.")
    return done or (render_template("manage/question.html", survey=survey, question=question, form=form), 422)


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


@bp.route("/surveys/<slug>/questions/<key>/delete", methods=["GET", "POST"])
@form_page
def delete_question(slug: str, key: str):
    """Removing a question from a draft is done at once; from a survey customers have (published or closed),
    only once confirmed."""
    survey = survey_or_404(slug)
    question = survey.current_version.question(key)
    if question is None:
        abort(404)
    if survey.status != SurveyStatus.DRAFT and not confirmed():
        return confirmation(
            title=f"Remove “{question.text}”?",
            consequences=[f"Customers will no longer be asked “{question.text}” ({key}).",
                          "Responses already given keep their answers to it, in results and exports; if the "
                          "survey has responses, the change is published as a new version.",
                          "To ask it again later, add it back with the same key and type."],
            button="Remove the question", back=url_for(".edit_survey", slug=slug, _anchor=f"item-{key}"))
    if request.method != "POST":
        return redirect(url_for(".edit_survey", slug=slug, _anchor=f"item-{key}"))
    return _apply(survey, lambda: remove_question(survey, key, now=utcnow()), "Question removed.", anchor="questions")


@bp.route("/surveys/<slug>/split-into-pages", methods=["POST"])
def split_into_pages(slug: str):
    """A survey without sections becomes one whose first page holds every question."""
    survey = survey_or_404(slug)
    form = SplitForm(prefix="split")
    if not form.validate():
        return _editor(survey, split_form=form, status=422)
    title = form.title.data.strip()
    section = SectionSpec(key=new_section_key(survey, title), title=title)
    return _apply(survey, lambda: split_into_sections(survey, section, now=utcnow()),
                  f"Split into pages: every question is on the page “{title}”. Add a section to start the next.",
                  anchor="questions")


def _section_spec(form: SectionForm, survey, version, kept_key: str = "") -> SectionSpec | None:
    """The section the form describes (a key left empty: `kept_key`, or one made from the title), or None
    with the problems at their fields."""
    if not form.validate():
        return None
    key = (form.key.data or "").strip() or kept_key or new_section_key(survey, form.title.data.strip())
    try:
        return parse_section(form.definition(key, _types(version)))
    except DefinitionError as error:
        form.show_problems(error.problems)
        return None


@bp.route("/surveys/<slug>/sections", methods=["POST"])
def add_section_view(slug: str):
    survey = survey_or_404(slug)
    form = SectionForm(prefix="section")
    _offer_section(form, survey.current_version)
    if (spec := _section_spec(form, survey, survey.current_version)) is not None:
        try:
            add_section(survey, spec, first=form.first.data or "", now=utcnow())
        except LogicError as error:
            form.show_problems(error.problems)
        except AuthoringError as error:
            field = form.key if "another section" in str(error) else form.first
            field.errors = [*field.errors, str(error)]
        else:
            flash(f"Section “{spec.title}” added.")
            return redirect(url_for(".edit_survey", slug=survey.slug, _anchor=f"page-{spec.key}"))
    return _editor(survey, section_form=form, status=422)


@bp.route("/surveys/<slug>/sections/<section_key>", methods=["GET", "POST"])
@form_page
def edit_section(slug: str, section_key: str):
    """Rename a section (title, key), change its introduction or its condition."""
    survey = survey_or_404(slug)
    version = survey.current_version
    section = next((s for s in version.sections or () if s["key"] == section_key), None)
    if section is None:
        abort(404)
    if request.method != "POST":
        form = SectionForm(formdata=None, prefix="section")
        _offer_section(form, version, section_key, fill=True)
        return render_template("manage/section.html", survey=survey, section=section, form=form)
    form = SectionForm(prefix="section")
    _offer_section(form, version, section_key)
    if (spec := _section_spec(form, survey, version, section_key)) is not None:
        try:
            update_section(survey, section_key, spec, now=utcnow())
        except LogicError as error:
            form.show_problems(error.problems)
        except AuthoringError as error:
            form.key.errors = [*form.key.errors, str(error)]
        else:
            flash(f"Section “{spec.title}” saved.")
            return redirect(url_for(".edit_survey", slug=survey.slug, _anchor=f"page-{spec.key}"))
    return render_template("manage/section.html", survey=survey, section=section, form=form), 422


@bp.route("/surveys/<slug>/sections/<section_key>/delete", methods=["GET", "POST"])
@form_page
def delete_section(slug: str, section_key: str):
    """Removing a section (never its questions) from a draft is done at once; from a survey customers have,
    only once confirmed."""
    survey = survey_or_404(slug)
    sections = survey.current_version.sections or []
    j = next((j for j, s in enumerate(sections) if s["key"] == section_key), None)
    if j is None:
        abort(404)
    title = sections[j]["title"]
    if survey.status != SurveyStatus.DRAFT and not confirmed():
        heir = sections[j - 1] if j > 0 else sections[1] if len(sections) > 1 else None
        return confirmation(
            title=f"Remove the section “{title}”?",
            consequences=[f"Its questions stay, on the page “{heir['title']}”." if heir else
                          "It is the only section: the survey becomes a single page, with every question on it.",
                          *([f"Its introduction and its condition ({logic.describe(sections[j]['show_if'])}) go."]
                            if sections[j].get("show_if") else ["Its title and introduction go."]),
                          "If the survey has responses, the change is published as a new version."],
            button="Remove the section", back=url_for(".edit_survey", slug=slug, _anchor=f"page-{section_key}"))
    if request.method != "POST":
        return redirect(url_for(".edit_survey", slug=slug, _anchor=f"page-{section_key}"))
    return _apply(survey, lambda: remove_section(survey, section_key, now=utcnow()),
                  f"Section “{title}” removed; its questions stay.", anchor="questions")


@bp.route("/surveys/<slug>/<any(publish, close):action>", methods=["GET", "POST"])
@form_page
def change_status_view(slug: str, action: str):
    """Publishing is done at once; closing only once confirmed (its GET is the confirmation page)."""
    survey = survey_or_404(slug)
    if action == "close" and survey.status == SurveyStatus.PUBLISHED and not confirmed():
        return confirmation(
            title=f"Close “{survey.current_version.title}”?",
            consequences=["Customers can no longer answer: the public link and every personal link show "
                          "“this survey has closed”.",
                          "Invitations and reminders not sent yet are not sent.",
                          "Responses already given stay in results and exports. You can reopen the survey later."],
            button="Close the survey", back=url_for(".edit_survey", slug=slug))
    if request.method != "POST":
        return redirect(url_for(".edit_survey", slug=slug))
    done = {"publish": "Survey published: customers can answer it now.", "close": "Survey closed."}[action]
    return _apply(survey, lambda: change_status(survey, action, now=utcnow()), done)


@bp.route("/surveys/<slug>/duplicate", methods=["POST"])
def duplicate(slug: str):
    survey = survey_or_404(slug)
    copy = duplicate_survey(survey, actor=_actor(), now=utcnow())
    flash(f"Duplicated as the draft {copy.slug!r}.")
    return redirect(url_for(".edit_survey", slug=copy.slug))


# What each kind of link shows, for the preview: (label, contact consent offered, "Save and finish later"
# offered). The public link knows no customer (no call-back consent, nothing to save to); a personal link
# does; the one-click rating is a personal link opened from a rating button of the email.
LINK_KINDS = {"public": ("Public link", False, False), "personal": ("Personal link", True, True),
              "rating": ("One click in the email", True, True)}


PREVIEW_CONTACT = {"name": "Alex Example", "email": "alex@example.com"}


@bp.route("/surveys/<slug>/preview", methods=["GET", "POST"])
@changes_nothing
def preview(slug: str):
    """Exactly the customer's page for each kind of link (`?as=public|personal|rating`, with `rating=` the
    point chosen in the email); sending it validates the answers but stores nothing."""
    survey = survey_or_404(slug)
    version = survey.current_version
    kind = request.args.get("as", "public")
    if kind not in LINK_KINDS:
        abort(404)
    _, consent_contact, can_save = LINK_KINDS[kind]
    form = RespondForm()
    if not consent_contact:
        del form.consent_contact
    first_point = version.questions[0].choices[0][0] if version.questions and version.questions[0].choices else None
    quick_rating = one_click_rating(version.questions, request.args.get("rating") or first_point) \
        if kind == "rating" else None
    # A personal link knows its customer: piped text names this example one (attributes it lacks show their
    # fallback, as for a contact without them); the public link knows no one.
    contact = PREVIEW_CONTACT if kind != "public" else {}
    shown = dict(preview=True, preview_kind=kind, link_kinds=LINK_KINDS, can_save=can_save,
                 quick_rating=quick_rating, action_url=request.full_path.rstrip("?"), contact=contact)
    if request.method != "POST":
        form.submission_key.data, form.version.data = new_token(), str(version.id)
        return render_survey(survey, version, form, preselect_first(version.questions, {}, quick_rating), **shown)
    fields = request.form.to_dict(flat=False)
    action = request.form.get("action", "submit")
    if action in ("next", "back"):  # a survey with sections: the preview pages as customers do
        moved = pages.move(version, fields, contact, request.form.get("page"), action)
        if moved.errors or moved.page is not None:
            return render_survey(survey, version, form, fields, errors=moved.errors, page=moved.page,
                                 status=422 if moved.errors else 200, **shown)
    parsed = parse_answers(version.questions, fields, version=version, contact=contact,
                           only_first_required=action == "rating")
    notice = None if parsed.errors else "These answers are valid. In the preview nothing is stored."
    page = pages.first_page_with(version, list(parsed.errors)) if parsed.errors else None
    return render_survey(survey, version, form, fields, errors=parsed.errors, notice=notice, page=page,
                         status=422 if parsed.errors else 200, **shown)


@bp.route("/surveys/<slug>/definition.json")
def export_definition(slug: str):
    survey = survey_or_404(slug)
    body = json.dumps(survey_definition(survey.slug, survey.current_version), indent=2, ensure_ascii=False)
    return Response(body + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{survey.slug}.json"'})


def _languages_page(survey, form, problems=(), status=200):
    version = survey.current_version
    return render_template("manage/languages.html", survey=survey, version=version, form=form,
                           problems=problems, coverage=translator_files.coverage(version),
                           offered=translator_files.offered(version), name_of=languages.name), status


@bp.route("/surveys/<slug>/languages", methods=["GET", "POST"])
def survey_languages(slug: str) -> ResponseReturnValue:
    """The survey's translations: a PO file per language for a translator, and the file back."""
    survey = survey_or_404(slug)
    form = TranslationFileForm()
    if not form.validate_on_submit():
        return _languages_page(survey, form, status=422 if form.errors else 200)
    try:
        report = translator_files.import_po(survey, form.po_file.data.read(), now=utcnow())
    except translator_files.TranslationFileError as error:
        return _languages_page(survey, form, problems=error.problems, status=422)
    for line in report.lines():
        flash(line)
    return redirect(url_for(".survey_languages", slug=survey.slug))


@bp.route("/surveys/<slug>/translations.po")
def export_translations(slug: str):
    survey = survey_or_404(slug)
    language = languages.normalise(request.args.get("language")) or ""
    try:
        body = translator_files.export_po(survey, language, utcnow())
    except translator_files.TranslationFileError as error:
        abort(400, error.problems[0])
    return Response(body, mimetype="text/x-gettext-translation",
                    headers={"Content-Disposition": f'attachment; filename="{survey.slug}.{language}.po"'})


@bp.route("/surveys/import", methods=["GET", "POST"])
@form_page
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
