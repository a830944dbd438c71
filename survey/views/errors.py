"""Friendly error pages with the right status. No traceback ever reaches a user."""
from flask import Blueprint, current_app, jsonify, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable, TooManyRequests

from survey.links import base_url_adapter
from survey.views.api import http_error as api_http_error
from survey.web import rate_limits
from survey.web.request_text import is_api_request

bp = Blueprint("errors", __name__)

# In the customer's language on customer pages (lazy: looked up when the page is drawn); staff pages are English.
MESSAGES = {
    400: (_l("Something in that request was not right"), _l("Please go back and try again.")),
    403: (_l("You can't do that"), _l("Your account does not have permission for this page or action.")),
    404: (_l("We can't find that page"), _l("The link may be mistyped, or the page no longer exists.")),
    405: (_l("That didn't work"), _l("This page can't be used that way. Please go back and try again.")),
    410: (_l("This survey has closed"), _l("Thank you for your interest. The survey is no longer taking answers.")),
    413: (_l("That was too large"), _l("The file or text you sent is larger than we accept.")),
    429: (_l("Too many attempts"), _l("Please wait a little and try again.")),
    500: (_l("Something went wrong on our side"), _l("We have been notified. Please try again in a moment.")),
    503: (_l("We are briefly unavailable"), _l("Please try again in a minute.")),
}


def render_error(status: int, title: str | None = None, message: str | None = None, *, render=render_template):
    default_title, default_message = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    if request_ctx and request_ctx.url_adapter is None:
        # The Host header was refused (untrusted, or not a host name at all), so Flask could not bind URL
        # building to the request: the page's links are built from HEARKEN_BASE_URL instead.
        request_ctx.url_adapter = base_url_adapter()
    return render("errors/error.html", status=status, title=title or default_title,
                  message=message or default_message), status


def render_without_database(template: str, **context) -> str:
    """A page for when the database is down: straight from Jinja, skipping Flask's context processors,
    because Flask-Login's loads the signed-in user from the database. The pages rendered this way use only
    the environment's globals (config, url_for, request, session)."""
    return current_app.jinja_env.get_template(template).render(**context)


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    return render_error(400, "This form has expired",
                        "For your security, forms expire. Please go back, reload the page and try again.")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if is_api_request():
        return api_http_error(error)
    if error.code == TooManyRequests.code:  # a rate limit (survey/web/rate_limits.py): say when to come back
        page, status = render_error(error.code)
        return page, status, {"Retry-After": str(rate_limits.retry_after_seconds())}
    status = error.code or 500
    if title := getattr(error, "title", None):
        return render_error(status, title, error.description)
    return render_error(status)


# What a database outage looks like to SQLAlchemy: connections refused or cut (PostgreSQL stopped or
# restarting, "terminating connection due to administrator command"), a busy SQLite file, or no pooled
# connection free in time. All pass by themselves, so they are answered 503 with Retry-After, never 500.
DATABASE_ERRORS = (DBAPIError, PoolTimeout)  # registered for; is_database_outage() picks the outages
RETRY_AFTER_SECONDS = 10


def is_database_outage(error: Exception) -> bool:
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def log_database_outage(error: Exception) -> None:
    # One line, no traceback: an outage is an operational event, and the next requests will say the same.
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    current_app.logger.warning("database unavailable, answered 503: %s: %s", type(error).__name__,
                               reason[0] if reason else "")


def service_unavailable(body):
    """A 503 that tells clients (and people, on the respond page's retry form) when to come back."""
    return body, ServiceUnavailable.code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def database_unavailable(error: Exception):
    if not is_database_outage(error):
        return unexpected_error(error)
    log_database_outage(error)
    if is_api_request():
        return service_unavailable(jsonify({"error": {
            "code": "service_unavailable", "field": None,
            "message": f"the database is briefly unavailable; retry in {RETRY_AFTER_SECONDS} s"}}))
    page, _status = render_error(ServiceUnavailable.code, render=render_without_database)
    return service_unavailable(page)


for database_error in DATABASE_ERRORS:
    bp.app_errorhandler(database_error)(database_unavailable)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    if is_api_request():
        return jsonify({"error": {"code": "internal_server_error", "message": "something went wrong on our side; "
                                  "it has been logged", "field": None}}), 500
    return render_error(InternalServerError.code)
