"""Manager login and logout: the password, the second factor, single sign-on; forgotten passwords and
invitations by email (their one-time links); and each person's own email choices.

Admins who must use two-factor authentication and do not yet are sent to set it up before any other
manager or account page (`admins_enrol_first`)."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from survey.accounts import device_cookies, passwords, people, sso, two_factor
from survey.accounts.one_time import LinkGone
from survey.accounts.users import (
    AccountError,
    check_password,
    end_sessions,
    load_session_user,
    record_sign_in,
    set_scorecard,
)
from survey.clock import unix_seconds, utcnow
from survey.extensions import login
from survey.links import external_url
from survey.models import User
from survey.views.forms import (
    ActionForm,
    ForgotPasswordForm,
    InvitationForm,
    LoginForm,
    NewPasswordForm,
    TwoFactorCodeForm,
)

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
        user = check_password(form.email.data, form.password.data, now=utcnow(), address=request.remote_addr)
        if user is not None:
            return _password_passed(user, _safe_next(request.args.get("next")), method="password", now=utcnow())
        form.password.errors.append("That email and password do not match an account.")
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, sso=_sso_name(), sso_form=ActionForm()), status


SIGNED_IN_WITH = "signed_in_with"  # the session's "password" or "sso": SSO sign-ins skip Hearken's second factor


def _password_passed(user: User, target: str, *, method: str, now: datetime):
    """The password was right: signed in, or on to the second factor when the account has one."""
    if user.two_factor:
        session[two_factor.PENDING_KEY] = {"user": user.get_id(), "at": unix_seconds(), "next": target,
                                           "method": method}
        return redirect(url_for("auth.two_factor_login"))
    return _signed_in(user, target, method=method, now=now)


def _signed_in(user: User, target: str, *, method: str, now: datetime):
    record_sign_in(user, method=method, now=now, address=request.remote_addr)
    login_user(user)
    session[SIGNED_IN_WITH] = "password"
    return _remember_device(redirect(target), user.email, now)


def _pending_user() -> User | None:
    """The account whose second factor this browser is being asked for, while the password step is fresh."""
    pending = session.get(two_factor.PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int) \
            or not 0 <= unix_seconds() - pending["at"] <= two_factor.PENDING_FOR:
        return None
    user = load_session_user(str(pending.get("user", "")))
    return user if user is not None and user.two_factor else None


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor_login():
    """The second step of a password sign-in for an account with two-factor authentication."""
    user = _pending_user()
    if user is None:
        session.pop(two_factor.PENDING_KEY, None)
        return render_template("auth/two_factor.html", form=None), 400
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        now = utcnow()
        factor = two_factor.verify(user, form.code.data, now=now)
        if factor is not None:
            pending = session.pop(two_factor.PENDING_KEY)
            if factor == "recovery code":
                flash(f"You used a recovery code: {two_factor.recovery_codes_left(user)} are left. Make new ones "
                      "on your Account page if you are running out.")
            return _signed_in(user, _safe_next(pending.get("next")), now=now,
                              method=f"{pending.get('method', 'password')}+{factor.replace(' ', '_')}")
        form.code.errors.append("That code is not right, or has been used already: type the newest code your app "
                                "shows, or a recovery code.")
    return render_template("auth/two_factor.html", form=form), 422 if form.errors else 200


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer, and the work behind it, are the same whatever the address
    (survey/accounts/passwords.py): a request is stored, the dispatcher sends what fits."""
    if not current_app.config["PASSWORD_LOGIN"]:
        abort(404)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.request_reset(form.email.data, now=utcnow())
        return redirect(url_for("auth.forgot_password", sent=1), 303)
    sent = request.args.get("sent") == "1" and request.method == "GET"
    return render_template("auth/forgot.html", form=form, sent=sent), 422 if form.errors else 200


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    now = utcnow()
    if not current_app.config["PASSWORD_LOGIN"]:
        abort(404)
    user = passwords.account_for_reset(token, now=now)
    if user is None:
        return _link_gone()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = passwords.reset_password(token, form.password.data, now=now)
        except LinkGone:
            return _link_gone()
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash("Your password is changed, and you are logged out everywhere else.")
            return _password_passed(user, url_for("manage.surveys.index"), method="password_reset", now=now)
    return render_template("auth/reset.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    now = utcnow()
    user = people.invited_account(token, now=now)
    if user is None:
        return _link_gone()
    if not current_app.config["PASSWORD_LOGIN"]:  # no password to choose: the provider signs them in
        return render_template("auth/invitation.html", form=None, user=user, sso=_sso_name(),
                               sso_form=ActionForm())
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            user = people.accept_invitation(token, name=form.name.data, password=form.password.data, now=now)
        except LinkGone:
            return _link_gone()
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            login_user(user)
            session[SIGNED_IN_WITH] = "password"
            flash("Welcome to Hearken. Your account is ready.")
            return _remember_device(redirect(url_for("manage.surveys.index")), user.email, now)
    return render_template("auth/invitation.html", form=form, user=user, sso=_sso_name(), sso_form=ActionForm()), \
        422 if form.errors else 200


def _link_gone():
    return render_template("auth/link_gone.html"), 404


# Pages an admin who must set up two-factor authentication may still open (logging out is outside both).
ENROLMENT_PAGES = {"account.two_factor_setup", "account.start_two_factor"}


@bp.before_app_request
def admins_enrol_first():
    """Where the organisation requires two-factor authentication of admins, an admin without it (signed in
    with a password) sees only the page that sets it up, until it is set up."""
    blueprint = request.blueprint or ""
    if blueprint.partition(".")[0] not in ("manage", "account") or request.endpoint in ENROLMENT_PAGES:
        return None
    if not current_user.is_authenticated:
        return None  # the guard sends them to log in
    if two_factor.must_enrol(current_user, signed_in_with_sso=session.get(SIGNED_IN_WITH) == "sso"):
        flash("Your organisation requires two-factor authentication for admins: set it up to go on.")
        return redirect(url_for("account.two_factor_setup"))
    return None


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
    session[SIGNED_IN_WITH] = "sso"
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
    return redirect(url_for("account.index"))


login.login_view = "auth.login_page"
