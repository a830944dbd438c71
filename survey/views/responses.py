"""Response browser (analysts and above): filter and search responses, read one with the customer's
context card, tag responses with themes, and export the filtered view."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("responses", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def guard():
    if not current_user.has_role("analyst"):
        abort(403)
