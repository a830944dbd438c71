"""Editors' pages for "what we changed because of you": entries, what led to them, quotes, publishing.
Anyone logged in may look, editors may change (the section's declared access)."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey import alerts, authoring, changes
from survey.changes import entries
from survey.clock import utcnow
from survey.extensions import db
from survey.ids import parse_id
from survey.models import ChangeEntry
from survey.views.forms import ActionForm, ChangeForm, ChangeLinksForm, ImpactChoiceForm, QuoteForm
from survey.views.manage.blueprint import form_page, section
from survey.views.manage.confirming import confirmation, confirmed
from survey.wording import plural

bp = section("changelog", __name__, read="agent", change="editor", url_prefix="/changes")


def _entry(change_id: int) -> ChangeEntry:
    entry = db.session.get(ChangeEntry, change_id)
    if entry is None or entry.deleted_at is not None:
        abort(404)
    return entry


def _change_form(entry: ChangeEntry | None = None) -> ChangeForm:
    form = ChangeForm(obj=entry) if request.method != "POST" and entry else ChangeForm()
    form.impact_survey.choices = [SelectChoice("", "— none —")] + [
        SelectChoice(survey.slug, survey.slug) for survey in authoring.list_surveys()]
    if request.method != "POST" and entry is not None:
        form.impact_survey.data = entry.impact_survey.slug if entry.impact_survey else ""
        form.impact_segment.data = (f"{entry.impact_segment_name}={entry.impact_segment_value}"
                                    if entry.impact_segment_name else "")
    return form


def _input(form: ChangeForm) -> changes.ChangeInput:
    return changes.ChangeInput(
        title=form.title.data or "", you_said=form.you_said.data or "", we_did=form.we_did.data or "",
        category=form.category.data or "", status=form.status.data, changed_on=form.changed_on.data,
        impact_survey=form.impact_survey.data or "", impact_question=(form.impact_question.data or "").strip(),
        impact_segment=(form.impact_segment.data or "").strip())


def _save(entry: ChangeEntry | None, form: ChangeForm):
    try:
        return changes.save_change(entry, _input(form), actor_id=current_user.id, now=utcnow())
    except changes.ChangeError as error:
        for name, message in error.problems.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        return None


@bp.route("/")
def index():
    return render_template("manage/changes/index.html", entries=entries.list_changes())


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _change_form()
    if form.validate_on_submit() and (entry := _save(None, form)) is not None:
        flash("Change saved as a draft. Link what led to it, add quotes, then publish.")
        return redirect(url_for(".edit", change_id=entry.id))
    return render_template("manage/changes/form.html", form=form, entry=None), 422 if form.errors else 200


def _editor(entry: ChangeEntry, form: ChangeForm | None = None, status: int = 200, **extra):
    links = ChangeLinksForm(formdata=None, responses=", ".join(
        str(link.response_id) for link in entry.links if link.response_id))
    links.alerts.choices = [SelectChoice(a.id, f"#{a.id} {a.direction} · {a.question_key} · {a.period_after}")
                            for a in alerts.recent_alerts(50)]
    links.alerts.data = [link.alert_id for link in entry.links if link.alert_id]
    measured = changes.impact(entry, now=utcnow())
    return render_template(
        "manage/changes/form.html", form=form or _change_form(entry), entry=entry, links=extra.get("links", links),
        quotable=changes.quotable(entry), quote_form=extra.get("quote_form", QuoteForm(formdata=None)),
        blank_quote_form=QuoteForm(formdata=None), action=ActionForm(), impact=measured,
        shown=changes.public_impact(entry, measured), impact_error=extra.get("impact_error")), status


@bp.route("/<int:change_id>", methods=["GET", "POST"])
def edit(change_id: int):
    entry = _entry(change_id)
    form = _change_form(entry)
    if request.method == "POST":
        if form.validate_on_submit() and _save(entry, form) is not None:
            flash("Change saved.")
            return redirect(url_for(".edit", change_id=entry.id))
        return _editor(entry, form, 422)
    return _editor(entry, form)


@bp.route("/<int:change_id>/links", methods=["POST"])
def links(change_id: int):
    entry = _entry(change_id)
    form = ChangeLinksForm()
    form.alerts.choices = [SelectChoice(a, str(a)) for a in alerts.alert_ids()]
    numbers = re.findall(r"\d+", form.responses.data or "")
    if not form.validate_on_submit() or re.sub(r"[\d,\s#]", "", form.responses.data or ""):
        form.responses.errors = ["Write response numbers separated by commas, e.g. 12, 15, 40."]
        return _editor(entry, status=422, links=form)
    try:
        changes.set_links(entry, response_ids=[int(n) for n in numbers[:1000]], alert_ids=form.alerts.data or [],
                          now=utcnow())
    except changes.ChangeError as error:
        form.responses.errors = [error.problems["responses"]]
        return _editor(entry, status=422, links=form)
    flash("Links saved.")
    return redirect(url_for(".edit", change_id=entry.id))


@bp.route("/<int:change_id>/quotes", methods=["POST"])
def add_quote(change_id: int):
    entry = _entry(change_id)
    form = QuoteForm()
    if form.validate_on_submit() and (response_id := parse_id(form.response_id.data)):
        try:
            changes.add_quote(entry, response_id, form.text.data, now=utcnow())
        except changes.ChangeError as error:
            form.text.errors = [error.problems["quote"]]
        else:
            flash("Quote added (contact details are removed automatically).")
            return redirect(url_for(".edit", change_id=entry.id))
    return _editor(entry, status=422, quote_form=form)


@bp.route("/<int:change_id>/quotes/<int:quote_id>/delete", methods=["POST"])
def remove_quote(change_id: int, quote_id: int):
    changes.remove_quote(_entry(change_id), quote_id, now=utcnow())
    flash("Quote removed.")
    return redirect(url_for(".edit", change_id=change_id))


IMPACT_CHOICES = {"yes": True, "no": False, "": None}


def _impact_choice() -> tuple[bool | None, str | None]:
    """The button's choice about the impact numbers (None when it made none), or the problem with it."""
    form = ImpactChoiceForm()
    if not form.validate_on_submit():
        return None, "Choose to publish the numbers or to publish without them."
    return IMPACT_CHOICES[form.impact_numbers.data or ""], None


@bp.route("/<int:change_id>/impact", methods=["POST"])
def impact_numbers(change_id: int):
    entry = _entry(change_id)
    choice, problem = _impact_choice()
    if choice is None:
        return _editor(entry, status=422, impact_error=problem or "Choose to publish the numbers or not.")
    changes.choose_impact_numbers(entry, choice, now=utcnow())
    flash("The public page shows the measured numbers." if choice else
          "The public page shows this entry without the measured numbers.")
    return redirect(url_for(".edit", change_id=entry.id))


@bp.route("/<int:change_id>/<any(publish, unpublish, delete):action>", methods=["GET", "POST"])
@form_page
def change_state(change_id: int, action: str):
    """Publish, unpublish, or delete once confirmed (the GET of delete is its confirmation page)."""
    entry = _entry(change_id)
    if action == "delete" and not confirmed():
        return confirmation(
            title=f"Delete “{entry.title}”?",
            consequences=["The entry leaves the public page and the feed, and this list."
                          if entry.published_at else "The entry leaves this list.",
                          "Follow-up cases and alerts that led to it are not changed."],
            button="Delete the change", back=url_for(".edit", change_id=entry.id))
    if request.method != "POST":
        return redirect(url_for(".edit", change_id=entry.id))
    now = utcnow()
    if action == "publish":
        choice, problem = _impact_choice()
        if problem:
            return _editor(entry, status=422, impact_error=problem)
        try:
            report = changes.publish(entry, now=now, impact_numbers=choice)
        except changes.ChangeError as error:
            return _editor(entry, status=422, impact_error=" ".join(error.problems.values()))
        flash(f"Published. {plural(report.notified, 'customer')} who raised it will be told; "
              f"{report.skipped_unsubscribed} unsubscribed and {report.skipped_recent} recently told are skipped.")
    elif action == "unpublish":
        changes.unpublish(entry, now=now)
        flash("Taken off the public page.")
    else:
        changes.delete_change(entry, now=now)
        flash("Change deleted.")
        return redirect(url_for(".index"))
    return redirect(url_for(".edit", change_id=entry.id))
