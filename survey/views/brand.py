"""The brand's two files, served by Hearken itself so the Content-Security-Policy stays 'self': the logo
at an address holding its hash, and the accent colour's stylesheet at an address holding the colour.
Both addresses name their content exactly, so browsers and proxies may keep them for a year."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect

from survey import brand

bp = Blueprint("brand", __name__, url_prefix="/brand")

FOREVER = "public, max-age=31536000, immutable"


@bp.route("/logo/<filename>")
def logo(filename: str):
    found = brand.logo_bytes(filename)
    if found is None:
        current = brand.current()
        if current.logo_file is None:
            abort(404)
        # An email sent before the logo changed links to the old one: show the new one, but do not let
        # caches keep this answer (the logo may change again).
        return redirect(current.logo_src() or "", code=302), {"Cache-Control": "no-cache"}
    data, content_type = found
    # X-Content-Type-Options: nosniff comes with every answer (survey/web/headers.py); the type is the one
    # the file's own bytes were recognised as when it was uploaded, never the uploader's claim.
    return Response(data, mimetype=content_type, headers={"Cache-Control": FOREVER,
                                                          "Content-Disposition": "inline"})


@bp.route("/accent/<colour>.css")
def accent(colour: str):
    try:
        accent = brand.parse_accent(f"#{colour}")
    except brand.BrandError:
        accent = None
    if accent is None or accent != f"#{colour}":  # only the stored spelling: one address per colour
        abort(404)
    return Response(brand.stylesheet(accent), mimetype="text/css", headers={"Cache-Control": FOREVER})
