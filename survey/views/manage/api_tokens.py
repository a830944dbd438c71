"""API tokens, for admins: create one (its secret is shown once, on the answer to the POST, never again),
see each token's role and last use, revoke one."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from survey.accounts import api_tokens, scopes
from survey.clock import utcnow
from survey.extensions import db
from survey.models import ApiToken
from survey.results.settings import Settings
from survey.views.forms import ActionForm, ApiTokenForm
from survey.views.manage.blueprint import section

bp = section("tokens", __name__, read="admin", url_prefix="/api-tokens")


def _page(form: ApiTokenForm, *, secret: str | None = None, status: int = 200):
    return render_template("manage/api_tokens.html", tokens=api_tokens.list_tokens(), form=form, secret=secret,
                           action=ActionForm(), describe_scope=scopes.describe), status


@bp.route("/")
def index():
    return _page(ApiTokenForm())


@bp.route("/", methods=["POST"])
def create():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        lines = [line for line in (form.scope.data or "").splitlines() if line.strip()]
        scope = scopes.check(scopes.parse_pairs(lines),
                             attributes=Settings.from_config(current_app.config).segment_names)
    except scopes.ScopeError as error:
        form.scope.errors = [*form.scope.errors, f"{error}; no token was created"]
        return _page(form, status=422)
    try:
        _token, secret = api_tokens.create_token(form.name.data, form.role.data, now=utcnow(), scope=scope,
                                                 created_by=current_user._get_current_object())
    except api_tokens.TokenError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _page(form, status=422)
    # Rendered, not redirected: the secret must not travel through the session or be shown twice.
    return _page(ApiTokenForm(formdata=None), secret=secret, status=201)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    api_tokens.revoke_token(token, now=utcnow())
    flash(f"The token “{token.name}” is revoked: requests with it are refused from now on.")
    return redirect(url_for(".index"), code=303)
