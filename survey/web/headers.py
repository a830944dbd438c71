"""Security headers on every response."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, request

# No inline script or style anywhere, and nothing loaded from other origins: except the organisation's logo
# (HEARKEN_LOGO_URL), whose origin alone img-src allows.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
CONTENT_SECURITY_POLICY = POLICY.format(images="")
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def logo_origin(url: str | None) -> str | None:
    """The origin img-src must allow for HEARKEN_LOGO_URL: None when there is no logo or it is on this site
    (a path such as /static/logo.svg). ValueError, saying why, for anything but an https:// URL of a host
    name (an http:// logo would be blocked as mixed content on an https page, and the value goes into a
    header, so nothing but a plain origin may reach it)."""
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"HEARKEN_LOGO_URL {url!r} is not a URL") from None
    if parts.scheme != "https":
        raise ValueError(f"HEARKEN_LOGO_URL {url!r} must be an https:// URL (or a path on this site)")
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or not HOST_NAME.fullmatch(host) or \
            re.search(r"[\s;,'\"]", url):
        raise ValueError(f"HEARKEN_LOGO_URL {url!r} must be https://host/path with a plain host name, "
                         "without spaces, quotes, commas or semicolons")
    return f"https://{host}" + (f":{port}" if port not in (None, 443) else "")


def content_security_policy(logo_url: str | None) -> str:
    origin = logo_origin(logo_url)
    return POLICY.format(images=f" {origin}" if origin else "")


def init_app(app: Flask) -> None:
    try:
        policy = content_security_policy(app.config.get("LOGO_URL"))
    except ValueError as error:
        # Shown nowhere rather than shown broken; `flask check-deploy` names it with the same sentence.
        app.logger.warning("%s: the logo is not shown", error)
        app.config["LOGO_URL"] = None
        policy = CONTENT_SECURITY_POLICY

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Survey links carry secret tokens: never leak them to another site through the Referer.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")  # customer data: not for shared caches
        # Behind HTTPS (the setting says so, or the request came over it): browsers then refuse plain HTTP to
        # this host for a year, so no cookie or answer ever travels unencrypted. Over HTTP it is ignored.
        if app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
