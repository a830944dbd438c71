"""Manager login and logout, and each person's own email choices."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from survey.accounts import device_cookies, sso
from survey.accounts.users import authenticate, end_sessions, load_session_user, set_scorecard
from survey.clock import utcnow
from survey.extensions import login
from survey.links import external_url
from survey.views.forms import ActionForm, LoginForm

bp = Blueprint("auth", __name__)

login.login_message = "Please log in to see that page."
login.session_protection = "basic"


@login.user_loader
def load_user(session_id: str):
    return load_session_user(session_id)


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after login would hand phishers a trusted link."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("manage.surveys.index")


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    form = LoginForm()
    if not current_app.config["PASSWORD_LOGIN"]:
        # Single sign-on only: no password form, and a posted one is refused before it is read.
        status = 403 if request.method == "POST" else 200
        return render_template("auth/login.html", form=None, sso=_sso_name(), sso_form=ActionForm(),
                               password_off=status == 403), status
    if form.validate_on_submit():
        now = utcnow()
        user = authenticate(form.email.data, form.password.data, now=now, address=request.remote_addr)
        if user is not None:
            login_user(user)
            return _remember_device(redirect(_safe_next(request.args.get("next"))), user.email, now)
        form.password.errors.append("That email and password do not match an account.")
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, sso=_sso_name(), sso_form=ActionForm()), status


def _sso_name() -> str | None:
    """The provider's name when single sign-on is configured (the login page offers it), else None."""
    config = current_app.config
    return str(config.get("OIDC_PROVIDER_NAME") or "single sign-on") if sso.enabled(config) else None


def _sso_refused(message: str):
    return render_template("auth/sso_refused.html", message=message), 403


@bp.route("/login/sso", methods=["POST"])
def sso_start():
    """To the provider's sign-in page. A POST with the login page's CSRF token: starting a sign-in keeps its
    state in the session, which a GET must not change."""
    if not sso.enabled(current_app.config):
        abort(404)  # no provider configured: there is no such page
    if not ActionForm().validate_on_submit():
        return _sso_refused("The login page had expired: go back to it and try again.")
    session["sso_next"] = _safe_next(request.args.get("next"))
    try:
        settings = sso.settings_from(current_app.config)
        # Imported here: Authlib, joserfc and requests took every process 0.1 s to import, for a sign-in.
        from survey.accounts import oidc

        return oidc.start(current_app._get_current_object(), settings, external_url("auth.sso_callback"))
    except sso.ConfigurationError as error:
        current_app.logger.error("single sign-on is misconfigured: %s", error)
        return _sso_refused("Single sign-on is not set up correctly: an administrator must fix its settings.")
    except sso.SignInRefused as error:
        return _sso_refused(str(error))


@bp.route("/login/sso/callback")
def sso_callback():
    """The provider sends the browser back here (a GET by protocol): it signs in only after state, PKCE,
    the ID token's signature, audience, expiry and nonce have been checked (survey/accounts/oidc.py)."""
    if not sso.enabled(current_app.config):
        abort(404)  # no provider configured: there is no such page
    try:
        settings = sso.settings_from(current_app.config)
        from survey.accounts import oidc  # as in sso_start

        user = oidc.sign_in_from_callback(current_app._get_current_object(), settings, now=utcnow())
    except sso.ConfigurationError as error:
        current_app.logger.error("single sign-on is misconfigured: %s", error)
        return _sso_refused("Single sign-on is not set up correctly: an administrator must fix its settings.")
    except sso.SignInRefused as error:
        return _sso_refused(str(error))
    login_user(user)
    return redirect(_safe_next(session.pop("sso_next", None)))


def _remember_device(response, account: str, now):
    """This browser is now a trusted device for the account (survey/accounts/device_cookies.py): a new cookie, only
    sent back to the login page, for a year."""
    config = current_app.config
    secure = config["BASE_URL"].startswith("https://") or bool(config.get("SESSION_COOKIE_SECURE"))
    response.set_cookie(device_cookies.COOKIE_NAME,
                        device_cookies.issue(account, now=now, secret_key=config["SECRET_KEY"]),
                        max_age=int(device_cookies.MAX_AGE.total_seconds()), path=url_for("auth.login_page"),
                        secure=secure, httponly=True, samesite="Lax")
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit() and current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
        logout_user()
        flash("You are logged out.")
    return redirect(url_for("auth.login_page"))


@bp.route("/account/scorecard", methods=["POST"])
@login_required
def scorecard_subscription():
    """Any member of staff may ask for the weekly scorecard, agents included: it is for all employees."""
    if ActionForm().validate_on_submit():
        wanted = request.form.get("notify") == "1"
        set_scorecard(current_user._get_current_object(), wanted)
        flash("You will get the customer scorecard every Monday." if wanted else
              "You will not get the weekly scorecard.")
    return redirect(url_for("manage.surveys.index"))


login.login_view = "auth.login_page"
