"""Friendly error pages with the right status. No traceback ever reaches a user."""
from flask import Blueprint, current_app, jsonify, render_template, request
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


def is_api_request() -> bool:
    # Paths under the API that match no route (404, 405) never reach the API blueprint's own handlers.
    return request.path == "/api" or request.path.startswith("/api/")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if is_api_request():
        from survey.views.api import http_error as api_http_error

        return api_http_error(error)
    return render_error(error.code or 500)


@bp.app_errorhandler(Exception)
def unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    if is_api_request():
        return jsonify({"error": {"code": "internal_server_error", "message": "something went wrong on our side; "
                                  "it has been logged", "field": None}}), 500
    return render_error(InternalServerError.code)
