"""Hearken: the Flask application factory. It reads like a table of contents: configuration,
extensions, blueprints, command line. No database work happens here."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    from survey import brand, cli, database, ids, wording
    from survey.accounts import scopes
    from survey.config import instance_path_from, load_config, persistent_secret_key
    from survey.extensions import babel, csrf, db, limiter, login
    from survey.views import account, api, auth, errors, manage, public, respond
    from survey.views import brand as brand_files
    from survey.views import unsubscribe as outreach
    from survey.web import headers, locale, log_redaction, rate_limits, request_body, request_text, routing, uploads

    app = routing.LazyBuildFlask(  # Flask, its URL builders compiled on first use (see survey/web/routing.py)
        __name__,
        instance_path=instance_path_from(os.environ) or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    # Where the SQLite file, the secret key and the .eml outbox live: made here (as Flask's tutorial does),
    # or `flask db upgrade` with HEARKEN_SECRET_KEY set and a new HEARKEN_INSTANCE_PATH was a traceback.
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(os.environ, app.instance_path))
    app.config.from_mapping(config or {})
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = persistent_secret_key(app.instance_path)

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        # Flask's documented way to add middleware, though it types wsgi_app as a method (python/mypy#7347).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    request_body.init_app(app)  # a body the server cannot read (a malformed chunk) is a 400, not a 500

    db.init_app(app)
    database.close_sessions_even_when_the_database_is_gone(app)  # after init_app: see its docstring
    scopes.install()  # every SELECT stays inside the active data scope (survey/accounts/scopes.py)
    uploads.init_app(app)  # before CSRFProtect, which reads the body
    request_text.init_app(app)  # likewise
    csrf.init_app(app)
    login.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=locale.select_locale,
                   default_translation_directories=str(ROOT / "survey" / "translations"))
    locale.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)  # registers listeners; does not connect

    app.url_map.converters["int"] = ids.IdConverter  # before the routes are added: they compile with it
    for blueprint in (public.bp, respond.bp, outreach.bp, auth.bp, account.bp, manage.bp, api.bp, errors.bp,
                      brand_files.bp):
        app.register_blueprint(blueprint)
    rate_limits.init_app(app)
    headers.init_app(app)
    log_redaction.init_app(app)
    wording.init_app(app)
    brand.init_app(app)
    cli.init_app(app)
    return app
