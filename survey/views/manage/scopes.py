"""A person's data scope (admins without a scope of their own): which values of the segment attributes they
see, chosen from the values responses and contacts have; or everything. Registered on the `manage`
blueprint itself as `manage.user_scope`, beside the people pages (section "manage": admins only)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey.accounts import scopes
from survey.clock import utcnow
from survey.extensions import db
from survey.models import User
from survey.results.settings import Settings
from survey.views.forms import ActionForm
from survey.views.manage.blueprint import bp

FIELD = "scope-"  # a checkbox per value, named after its attribute: scope-location=Leeds


def _page(user: User, *, chosen: dict[str, list[str]], error: str | None = None, status: int = 200):
    names = Settings.from_config(current_app.config).segment_names
    known = scopes.known_values(names)
    for name, values in chosen.items():  # a value chosen before that no response or contact has any more
        known.setdefault(name, [])
        known[name] = sorted(set(known[name]) | set(values))
    return render_template("manage/people/scope.html", person=user, known=known, chosen=chosen, error=error,
                           described=scopes.describe(user.scope), form=ActionForm(), field=FIELD), status


def _posted() -> dict[str, list[str]]:
    """The checked values by attribute: attributes and values as posted, checked by scopes.check."""
    wanted: dict[str, list[str]] = {}
    for key in request.form:
        if key.startswith(FIELD):
            values = [value for value in request.form.getlist(key) if value]
            if values:
                wanted[key[len(FIELD):]] = values
    return wanted


@bp.route("/people/<int:user_id>/scope", methods=["GET", "POST"])
def user_scope(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if request.method == "GET":
        return _page(user, chosen=user.scope or {})
    if not ActionForm().validate():
        abort(400)
    wanted = {} if request.form.get("action") == "clear" else _posted()
    try:
        scope = scopes.set_user_scope(user, wanted, attributes=Settings.from_config(current_app.config).segment_names,
                                      actor=f"user:{current_user.id}", actor_id=current_user.id, now=utcnow())
    except scopes.ScopeError as error:
        return _page(user, chosen=wanted, error=f"{error}. Nothing was changed.", status=422)
    flash(f"{user.email} now sees {scope.label() + ' only' if scope else 'everything'}.")
    return redirect(url_for(".user_scope", user_id=user.id), code=303)
