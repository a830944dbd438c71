"""Each person's own account (/account): their details, their password, two-factor authentication and the
emails they get. Open to everyone logged in, whatever their role."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user

from survey.accounts import two_factor
from survey.accounts.users import AccountError, change_password
from survey.clock import utcnow
from survey.models import User
from survey.views.forms import ActionForm, ChangePasswordForm, CurrentPasswordForm, TwoFactorCodeForm

bp = Blueprint("account", __name__, url_prefix="/account")

ENROLLING = "two_factor_secret"  # the session's secret being enrolled, until a code from it is confirmed


@bp.before_request
@login_required
def logged_in():
    return None


def me() -> User:
    return current_user._get_current_object()


def _page(*, password_form=None, disable_form=None, codes_form=None, status: int = 200):
    user = me()
    return render_template(
        "account/index.html", user=user, password_form=password_form or ChangePasswordForm(formdata=None),
        disable_form=disable_form or CurrentPasswordForm(formdata=None, prefix="off"),
        codes_form=codes_form or CurrentPasswordForm(formdata=None, prefix="codes"), action=ActionForm(),
        codes_left=two_factor.recovery_codes_left(user) if user.two_factor else None,
        may_get_alerts=user.has_role("analyst")), status


@bp.route("/")
def index():
    return _page()


@bp.route("/password", methods=["POST"])
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(me(), form.current.data, form.password.data, now=utcnow())
        except AccountError as error:
            field = form.current if "current" in str(error) else form.password
            field.errors = [*field.errors, str(error)]
        else:
            login_user(me())  # this browser stays logged in with the new session id; the others are out
            flash("Your password is changed. You are logged out everywhere else.")
            return redirect(url_for(".index"), 303)
    return _page(password_form=form, status=422)


@bp.route("/two-factor/start", methods=["POST"])
def start_two_factor():
    """A new secret to enrol, kept in this session until a code from it is confirmed (nothing is stored for
    the account until then)."""
    if ActionForm().validate_on_submit() and not me().two_factor:
        session[ENROLLING] = two_factor.new_secret()
    return redirect(url_for(".two_factor_setup"), 303)


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor_setup():
    user = me()
    secret = session.get(ENROLLING)
    form = TwoFactorCodeForm()
    if user.two_factor or not user.password_hash:
        return redirect(url_for(".index"), 303)
    if secret and form.validate_on_submit():
        try:
            codes = two_factor.enable(user, secret, form.code.data, now=utcnow())
        except AccountError as error:
            form.code.errors = [*form.code.errors, str(error)]
        else:
            session.pop(ENROLLING, None)
            # Rendered, not redirected: the codes must not travel through the session or be shown twice.
            return render_template("account/recovery_codes.html", codes=codes, first=True), 201
    uri = two_factor.provisioning_uri(secret, email=user.email, issuer=current_app.config["ORGANISATION_NAME"]) \
        if secret else None
    return render_template("account/two_factor.html", secret=secret, qr=two_factor.qr_svg(uri) if uri else None,
                           form=form, action=ActionForm()), 422 if form.errors else 200


@bp.route("/two-factor/off", methods=["POST"])
def disable_two_factor():
    form = CurrentPasswordForm(prefix="off")
    if form.validate_on_submit():
        try:
            two_factor.disable(me(), form.password.data, now=utcnow())
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            flash("Two-factor authentication is off.")
            return redirect(url_for(".index"), 303)
    return _page(disable_form=form, status=422)


@bp.route("/two-factor/recovery-codes", methods=["POST"])
def new_recovery_codes():
    form = CurrentPasswordForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = two_factor.new_recovery_codes(me(), form.password.data, now=utcnow())
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            return render_template("account/recovery_codes.html", codes=codes, first=False), 201
    return _page(codes_form=form, status=422)
