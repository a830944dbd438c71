"""Pages for everyone: the home page, and what we changed because of customers' feedback (page and Atom
feed). Both are cacheable: an ETag and Last-Modified that change whenever a published entry does, with
`no-cache` so every cache revalidates and a retracted entry never lingers."""
from __future__ import annotations

from collections import OrderedDict

from flask import Blueprint, Response, current_app, render_template, request

from survey import changes as changelog
from survey.clock import utcnow
from survey.links import external_url

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    return render_template("public/home.html", organisation=current_app.config["ORGANISATION_NAME"])


# Rendered pages by ETag, per application and process: the ETag changes whenever anything shown does, so
# a hit is exactly what a fresh render would produce, and a page costs its ETag queries until data changes.
RENDERED_KEPT = 64


def _cached(render, category: str | None, mimetype: str) -> Response:
    etag, last_modified = changelog.public_version(category)
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = "public, no-cache"
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    rendered = current_app.extensions.setdefault("hearken_rendered_pages", OrderedDict())
    body = rendered.get(etag)
    if body is None:
        body = rendered[etag] = render().encode()
        while len(rendered) > RENDERED_KEPT:
            rendered.popitem(last=False)
    response.set_data(body)
    return response


@bp.route("/changes")
def changes():
    category = request.args.get("category", "").strip()[:80] or None
    now = utcnow()

    def render():
        return render_template(
            "public/changes.html", organisation=current_app.config["ORGANISATION_NAME"],
            entries=changelog.public_changes(category=category, now=now), categories=changelog.categories(),
            category=category, last_quarter=changelog.done_in_last_quarter(now),
            page_url=external_url("public.changes"), feed_url=external_url("public.changes_feed"))
    return _cached(render, category, "text/html")


@bp.route("/changes.atom")
def changes_feed():
    now = utcnow()

    def render():
        entries = changelog.public_changes(category=None, now=now, limit=50)
        return render_template("public/changes.atom.xml", entries=entries,
                               organisation=current_app.config["ORGANISATION_NAME"],
                               page_url=external_url("public.changes"), feed_url=external_url("public.changes_feed"),
                               updated=max((e.updated_at for e in entries), default=now))
    return _cached(render, "feed", "application/atom+xml")
