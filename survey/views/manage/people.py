"""People, for admins: everyone with their role and status, invitations, roles, deactivation, two-factor
resets and the organisation's sign-in policy (survey/accounts/people.py). A person's data scope will have a
page of its own, linked from theirs."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from survey.accounts import people, scopes, two_factor
from survey.accounts.users import AccountError
from survey.clock import utcnow
from survey.extensions import db
from survey.models import User
from survey.views.forms import AccountPolicyForm, ActionForm, InviteForm, RoleForm
from survey.views.manage import confirming
from survey.views.manage.blueprint import form_page, section

bp = section("people", __name__, read="admin", url_prefix="/people")


def _admin() -> User:
    return current_user._get_current_object()


def _person(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _index(form: InviteForm, *, link: str | None = None, status: int = 200):
    policy = AccountPolicyForm(formdata=None, require_admin_two_factor=people.admins_must_use_two_factor())
    return render_template("manage/people/index.html", people=people.list_people(), form=form, policy=policy,
                           action=ActionForm(), link=link, days=people.invitation_lifetime().days), status


@bp.route("/")
def index():
    return _index(InviteForm())


@bp.route("/", methods=["POST"])
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _index(form, status=422)
    try:
        user, _link = people.invite(form.email.data, form.role.data, actor=_admin(), now=utcnow())
    except AccountError as error:
        form.email.errors = [*form.email.errors, str(error)]
        return _index(form, status=422)
    flash(f"Invitation emailed to {user.email}.")
    return redirect(url_for(".index"), 303)


@bp.route("/policy", methods=["POST"])
def policy():
    form = AccountPolicyForm()
    if form.validate_on_submit():
        people.set_admin_two_factor_rule(form.require_admin_two_factor.data, actor=_admin(), now=utcnow())
        flash("Admins must now use two-factor authentication." if form.require_admin_two_factor.data else
              "Two-factor authentication is optional for admins.")
    return redirect(url_for(".index"), 303)


def _person_page(user: User, form: RoleForm | None = None, status: int = 200):
    return render_template("manage/people/person.html", person=user, role_form=form or RoleForm(
        formdata=None, role=user.role), action=ActionForm(), sso_role=bool(user.oidc_subject),
        codes_left=two_factor.recovery_codes_left(user) if user.two_factor else None,
        is_me=user.id == current_user.id, describe_scope=scopes.describe), status


@bp.route("/<int:user_id>")
def person(user_id: int):
    return _person_page(_person(user_id))


def _refused(user: User, error: AccountError):
    flash(f"Nothing was changed: {error}.", "error")
    return redirect(url_for(".person", user_id=user.id), 303)


@bp.route("/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    user = _person(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _person_page(user, form, status=422)
    try:
        people.change_role(user, form.role.data, actor=_admin(), now=utcnow())
    except AccountError as error:
        return _refused(user, error)
    flash(f"{user.email} is now {user.role}.")
    return redirect(url_for(".person", user_id=user.id), 303)


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@form_page
def deactivate(user_id: int):
    user = _person(user_id)
    if not confirming.confirmed():
        return confirming.confirmation(
            title=f"Deactivate {user.email}?", button="Deactivate",
            back=url_for(".person", user_id=user.id),
            consequences=["They are logged out everywhere at once and cannot sign in, with a password or with "
                          "single sign-on.", "API tokens they made stop working.",
                          "Nothing they did is deleted, and you can reactivate the account later."])
    try:
        people.deactivate(user, actor=_admin(), now=utcnow())
    except AccountError as error:
        return _refused(user, error)
    flash(f"{user.email} is deactivated.")
    return redirect(url_for(".person", user_id=user.id), 303)


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    return _act(user_id, people.reactivate, "{email} can sign in again.")


@bp.route("/<int:user_id>/resend", methods=["POST"])
def resend(user_id: int):
    return _act(user_id, people.resend_invitation, "A new invitation is on its way to {email}; the old link no "
                                                   "longer works.")


@bp.route("/<int:user_id>/revoke", methods=["POST"])
def revoke(user_id: int):
    user = _person(user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".person", user_id=user.id), 303)
    email = user.email
    try:
        people.revoke_invitation(user, actor=_admin(), now=utcnow())
    except AccountError as error:
        return _refused(user, error)
    flash(f"The invitation to {email} is withdrawn: its link no longer works.")
    return redirect(url_for(".index"), 303)


@bp.route("/<int:user_id>/two-factor-reset", methods=["POST"])
def reset_two_factor(user_id: int):
    return _act(user_id, two_factor.reset, "Two-factor authentication is off for {email}: they can set it up "
                                           "again from their Account page.")


def _act(user_id: int, verb, done: str):
    user = _person(user_id)
    if ActionForm().validate_on_submit():
        try:
            verb(user, actor=_admin(), now=utcnow())
        except AccountError as error:
            return _refused(user, error)
        flash(done.format(email=user.email))
    return redirect(url_for(".person", user_id=user.id), 303)
