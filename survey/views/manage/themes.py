"""A survey's themes (analysts and above, who tag comments): propose themes from its comments (a job), then
accept, rename, edit the terms of, merge or reject them. Each decision that changes which comments a theme
tags queues the job that tags them all again."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from survey.background import jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Job, Survey, Theme, ThemeStatus
from survey.results import themes
from survey.views.forms import ActionForm, MergeThemeForm, ThemeForm
from survey.views.manage.blueprint import section, survey_or_404

bp = section("themes", __name__, read="analyst")


def _theme(theme_id: int) -> Theme:
    return db.session.get(Theme, theme_id) or abort(404)


def _forms(theme: Theme, others: list[Theme]) -> tuple[ThemeForm, MergeThemeForm]:
    prefix = f"theme{theme.id}"
    form = ThemeForm(formdata=None, prefix=prefix, name=theme.name, terms=", ".join(theme.terms))
    merge = MergeThemeForm(formdata=None, prefix=prefix)
    merge.into.choices = [(other.id, f"{other.name} ({other.status})") for other in others if other.id != theme.id
                          and not (theme.status == ThemeStatus.ACCEPTED and other.status != ThemeStatus.ACCEPTED)]
    return form, merge


def _page(survey: Survey, *, refused: tuple[int, ThemeForm | MergeThemeForm] | None = None, status: int = 200):
    seen = themes.overview(survey)
    open_themes = seen.accepted + seen.proposed
    forms = {theme.id: _forms(theme, open_themes) for theme in open_themes}
    if refused is not None and refused[0] in forms:  # the refused form comes back as it was sent, with its errors
        theme_form, merge_form = forms[refused[0]]
        if isinstance(refused[1], ThemeForm):
            theme_form = refused[1]
        else:
            refused[1].into.choices = merge_form.into.choices
            merge_form = refused[1]
        forms[refused[0]] = (theme_form, merge_form)
    last_job = db.session.scalar(jobs.visible(user=current_user).where(
        Job.survey_id == survey.id, Job.kind.in_(("theme_proposals", "theme_tagging"))).order_by(Job.id.desc())
        .limit(1))
    return render_template("manage/themes/index.html", survey=survey, seen=seen, forms=forms, action=ActionForm(),
                           refused=refused, last_job=last_job, describe=jobs.describe,
                           result_line=jobs.result_line), status


@bp.route("/surveys/<slug>/themes")
def survey_themes(slug: str):
    return _page(survey_or_404(slug))


@bp.route("/surveys/<slug>/themes/propose", methods=["POST"])
def propose(slug: str):
    survey = survey_or_404(slug)
    if not ActionForm().validate():
        abort(400)
    job = jobs.propose_themes(survey, now=utcnow(), owner=current_user)
    return redirect(url_for("manage.jobs.job_page", job_id=job.id))


def _decide(theme: Theme, decision, done: str, form: ThemeForm | MergeThemeForm | None = None):
    """Make the decision (and queue re-tagging if it needs it); a refusal shows the page again, 400."""
    survey = theme.survey_id
    target = db.session.get_one(Survey, survey)
    try:
        job = jobs.change_themes(target, decision, now=utcnow(), owner=current_user)
    except themes.ThemeError as error:
        if form is None:
            flash(str(error), "error")
            return redirect(url_for(".survey_themes", slug=target.slug))
        field, _, message = str(error).partition(": ")
        bound = getattr(form, {"Name": "name", "Terms": "terms", "Merge into": "into"}.get(field, ""), None)
        if bound is not None:
            bound.errors = [*bound.errors, message]
        else:
            flash(str(error), "error")
        return _page(target, refused=(theme.id, form), status=400)
    flash(done + (" Every comment is being tagged again: this takes a moment." if job else ""))
    return redirect(url_for(".survey_themes", slug=target.slug))


def _refused(theme: Theme, form: ThemeForm | MergeThemeForm):
    return _page(db.session.get_one(Survey, theme.survey_id), refused=(theme.id, form), status=400)


@bp.route("/themes/<int:theme_id>/accept", methods=["POST"])
def accept(theme_id: int):
    theme = _theme(theme_id)
    form = ThemeForm(prefix=f"theme{theme.id}")
    if not form.validate():
        return _refused(theme, form)
    return _decide(theme, lambda: themes.accept(theme, name=form.name.data or "", terms=form.terms.data or "",
                                                actor=current_user, now=utcnow()),
                   f"Theme “{' '.join((form.name.data or '').split()).lower()}” accepted.", form)


@bp.route("/themes/<int:theme_id>/edit", methods=["POST"])
def edit(theme_id: int):
    theme = _theme(theme_id)
    form = ThemeForm(prefix=f"theme{theme.id}")
    if not form.validate():
        return _refused(theme, form)
    return _decide(theme, lambda: themes.edit(theme, name=form.name.data or "", terms=form.terms.data or "",
                                              actor=current_user, now=utcnow()), "Theme saved.", form)


@bp.route("/themes/<int:theme_id>/merge", methods=["POST"])
def merge(theme_id: int):
    theme = _theme(theme_id)
    form = MergeThemeForm(prefix=f"theme{theme.id}")
    form.into.choices = [(t.id, t.name) for t in themes.themes_of(
        db.session.get_one(Survey, theme.survey_id), (ThemeStatus.PROPOSED, ThemeStatus.ACCEPTED))]
    if not form.validate():
        return _refused(theme, form)
    target = _theme(form.into.data or 0)
    return _decide(theme, lambda: themes.merge(theme, target, actor=current_user, now=utcnow()),
                   f"“{theme.name}” merged into “{target.name}”.", form)


@bp.route("/themes/<int:theme_id>/reject", methods=["POST"])
def reject(theme_id: int):
    theme = _theme(theme_id)
    if not ActionForm().validate():
        abort(400)
    was_accepted = theme.status == ThemeStatus.ACCEPTED
    return _decide(theme, lambda: themes.reject(theme, actor=current_user, now=utcnow()),
                   f"“{theme.name}” " + ("is no longer used: the tags its terms gave are gone, the tags people gave "
                                         "stay." if was_accepted else "rejected."))
