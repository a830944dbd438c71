"""Results dashboard (analysts and above): headline cards, charts and tables for one survey under a
shareable filter."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("results", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def guard():
    if not current_user.has_role("analyst"):
        abort(403)
