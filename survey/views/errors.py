"""Friendly error pages with the right status. No traceback ever reaches a user."""
from flask import Blueprint, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("You can't do that", "Your account does not have permission for this page or action."),
    404: ("We can't find that page", "The link may be mistyped, or the page no longer exists."),
    405: ("That didn't work", "This page can't be used that way. Please go back and try again."),
    410: ("This survey has closed", "Thank you for your interest. The survey is no longer taking answers."),
    413: ("That was too large", "The file or text you sent is larger than we accept."),
    429: ("Too many attempts", "Please wait a little and try again."),
    500: ("Something went wrong on our side", "We have been notified. Please try again in a moment."),
    503: ("We are briefly unavailable", "Please try again in a minute."),
}


def render_error(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    return render_template("errors/error.html", status=status, title=title or default_title,
                           message=message or default_message), status


@bp.app_errorhandler(CSRFError)
def csrf_error(_error):
    return render_error(400, "This form has expired",
                        "For your security, forms expire. Please go back, reload the page and try again.")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    return render_error(error.code or 500)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    return render_error(InternalServerError.code)
