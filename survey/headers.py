"""Security headers on every response."""
from flask import Flask, Response, request

# No inline script or style anywhere, and nothing loaded from other origins.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
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
