"""Pages for everyone: the home page and what we changed because of customers' feedback."""
from flask import Blueprint, current_app, render_template

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    return render_template("public/home.html", organisation=current_app.config["ORGANISATION_NAME"])


@bp.route("/changes")
def changes():
    return render_template("public/changes.html", organisation=current_app.config["ORGANISATION_NAME"])
