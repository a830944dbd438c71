"""The `manage` blueprint (every page under /manage), the access each child section declares, and the one
guard that enforces it.

A section declares the least role that may read its pages (GET, HEAD) and the least that may change
anything (every other method); a view may say that its page exists only to be posted (`form_page`), or that
its POST changes nothing (`changes_nothing`). A section also declares what a person with a data scope
(survey/accounts/scopes.py) may do there: everything, only read, or nothing (organisation-wide pages: the
outbox, changes, webhooks …), and a view may be `unscoped_only`. The guard runs before every manager request:
not logged in goes to the login page, too low a role or a scope the page does not serve gets 403, and the
person's scope becomes the request's, so every query of the page stays inside it. The navigation asks
`may_open` with the same declarations, so a link is shown exactly to those the guard lets through.
CSRFProtect checks every POST before the guard.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, request
from flask_login import current_user, login_required

from survey.accounts import scopes
from survey.authoring import find_survey

READ_METHODS = {"GET", "HEAD"}

bp = Blueprint("manage", __name__, url_prefix="/manage")


SCOPED_ACCESS = ("all", "read", "none")


@dataclass(frozen=True)
class Access:
    read: str  # the least role that may look
    change: str  # the least role that may change anything
    scoped: str = "none"  # what someone with a data scope may do: all, read (look only) or none


# Section name → its access. "manage" is for pages on the blueprint itself: people administration.
ACCESS: dict[str, Access] = {"manage": Access("admin", "admin")}


def section(name: str, import_name: str, *, read: str, change: str | None = None,
            url_prefix: str | None = None, scoped: str = "none") -> Blueprint:
    """A child blueprint of `manage`, with the access it declares (registered on `bp` by the package).
    `scoped`: whether people with a data scope may use it (all, read) — only sections whose every query
    the scope can filter; organisation-wide pages leave it at none."""
    assert scoped in SCOPED_ACCESS
    ACCESS[name] = Access(read, change or read, scoped)
    return Blueprint(name, import_name, url_prefix=url_prefix)


def _section(endpoint: str) -> str:
    """The section of "manage.<section>.<view>", or "manage" for "manage.<view>"."""
    return endpoint.rpartition(".")[0].rpartition(".")[2]


def _needed(section_name: str, method: str) -> str:
    access = ACCESS[section_name]
    return access.read if method in READ_METHODS else access.change


def unscoped_only(view):
    """Marks a view people with a data scope may not use, in a section they otherwise may (importing
    contacts would write contacts outside the scope)."""
    view.unscoped_only = True
    return view


def _scope_allows(endpoint: str, method: str) -> bool:
    """Whether someone with a data scope may use `endpoint` with (the effective) `method`."""
    if getattr(current_app.view_functions.get(endpoint), "unscoped_only", False):
        return False
    scoped = ACCESS[_section(endpoint)].scoped
    return scoped == "all" or (scoped == "read" and method in READ_METHODS)


def form_page(view):
    """Marks a view whose GET page exists to be posted (a form such as New survey or Import, the confirmation
    page of a destructive action: survey.views.manage.confirming): reading it needs the role that may post
    it, so no one is shown a form that would answer 403."""
    view.form_page = True
    return view


def changes_nothing(view):
    """Marks a view whose POST changes nothing (the survey preview checks answers and stores none): posting
    it needs only the role that may read it."""
    view.changes_nothing = True
    return view


def _method(endpoint: str | None, method: str) -> str:
    """The method whose role `method` on `endpoint` needs."""
    view = current_app.view_functions.get(endpoint or "")
    if method in READ_METHODS and getattr(view, "form_page", False):
        return "POST"
    if method not in READ_METHODS and getattr(view, "changes_nothing", False):
        return "GET"
    return method


@bp.before_request
@login_required
def guard():
    # request.blueprints: the innermost first ("manage.results", then "manage").
    method = _method(request.endpoint, request.method)
    if not current_user.has_role(_needed(request.blueprints[0].rpartition(".")[2], method)):
        abort(403)
    scope = scopes.Scope.of(current_user.scope)
    if scope is not None and not _scope_allows(request.endpoint or "", method):
        abort(403)
    scopes.activate(scope)


def may_open(endpoint: str, method: str = "GET") -> bool:
    """Whether the current user passes the guard of `endpoint` ("manage.<section>.<view>")."""
    if not current_user.is_authenticated:
        return False
    method = _method(endpoint, method)
    if current_user.scope and not _scope_allows(endpoint, method):
        return False
    return current_user.has_role(_needed(_section(endpoint), method))


# The manager navigation, in order: (endpoint, label, the method that page is for). New survey and Import
# show forms that exist to be posted, so they are offered to those who may post them.
NAVIGATION = (("manage.surveys.index", "Surveys", "GET"), ("manage.surveys.new_survey", "New survey", "POST"),
              ("manage.surveys.import_definition", "Import", "POST"), ("manage.cases.index", "Follow-ups", "GET"),
              ("manage.teams.index", "Teams", "GET"),
              ("manage.contacts.index", "Contacts", "GET"), ("manage.changelog.index", "Changes", "GET"),
              ("manage.alerts.inbox", "Alerts", "GET"), ("manage.sending.outbox", "Outbox", "GET"),
              ("manage.jobs.index", "Jobs", "GET"),
              ("manage.webhooks.index", "Webhooks", "GET"), ("manage.notifications.index", "Slack/Teams", "GET"),
              ("manage.tokens.index", "API tokens", "GET"), ("manage.people.index", "People", "GET"),
              ("manage.branding.index", "Branding", "GET"), ("manage.audit.index", "Audit log", "GET"))


@bp.app_template_global()
def manager_links() -> list[tuple[str, str]]:
    """The navigation's links the current user may follow: the guard's own rule decides."""
    return [(endpoint, label) for endpoint, label, method in NAVIGATION if may_open(endpoint, method)]


@bp.app_template_global()
def data_scope_label() -> str | None:
    """The current person's data scope in words ("Leeds"), named on every manager page; None without one."""
    scope = scopes.Scope.of(current_user.scope) if current_user.is_authenticated else None
    return scope.label() if scope else None


def survey_or_404(slug: str):
    survey = find_survey(slug)
    if survey is None:
        abort(404)
    return survey
