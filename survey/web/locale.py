"""The language of a customer's page, chosen in one place (`select_locale`, Flask-Babel's locale selector).

In order: the language switcher's choice (`?lang=fr`, remembered in a cookie), the contact's `language`
attribute (personal links), the browser's Accept-Language, the survey's default language. Only languages the
page can show are chosen: a survey's languages on its pages (`offer`), the shipped catalogs elsewhere.
Manager pages, the API and the command line stay English: translating them is not asked.

The choice is a cookie rather than the session: the public survey link never touches the session (a manager
trying their own survey keeps their login as it was), and a language is a preference, not a state change.
"""
from __future__ import annotations

from collections.abc import Iterable

import flask_babel
from flask import Flask, g, has_request_context, request, url_for

from survey import languages

COOKIE = "hearken_lang"
COOKIE_DAYS = 365
# Blueprints whose pages are for staff or programs: English whatever the browser asks.
STAFF_BLUEPRINTS = frozenset({"manage", "api", "auth", "account"})
STAFF_PATHS = ("/manage", "/api/", "/login", "/logout", "/account", "/invitation/")


def init_app(app: Flask) -> None:
    app.after_request(_remember_choice)
    # {% trans %} blocks are written over several lines; their msgids are one line with single spaces.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(page_language=page_language, page_direction=page_direction,
                                 language_choices=language_choices)
    app.jinja_env.filters["language_name"] = languages.english_name


def offer(offered: Iterable[str], default: str, contact_language: str | None = None) -> None:
    """What this request's page can show: a survey's languages and its default, and (personal links) the
    contact's language. Call it before anything is translated: the locale is chosen once per request."""
    g.hearken_languages = tuple(offered)
    g.hearken_default_language = default
    g.hearken_contact_language = contact_language
    flask_babel.refresh()


def _for_staff() -> bool:
    return request.blueprint in STAFF_BLUEPRINTS or request.path.startswith(STAFF_PATHS)


def customer_language() -> str:
    """The language tag ("fr", "pt-BR") of this request's customer page; "en" for staff pages."""
    if not has_request_context() or _for_staff():
        return languages.DEFAULT
    offered = g.get("hearken_languages") or languages.SHIPPED
    chosen = languages.normalise(request.args.get("lang")) or languages.normalise(request.cookies.get(COOKIE))
    for wish in (chosen, g.get("hearken_contact_language")):
        if found := languages.matching(wish, offered):
            return found
    # werkzeug's best_match falls back from "fr-CH" to "fr" and honours the q-values.
    best = request.accept_languages.best_match(offered)
    return best or g.get("hearken_default_language") or languages.DEFAULT


def select_locale() -> str:
    """Flask-Babel's locale selector: Babel writes "pt_BR" where a page writes "pt-BR"."""
    tag = customer_language()
    return tag.replace("-", "_") if languages.known(tag) else languages.DEFAULT


def page_language() -> str:
    """The page's lang attribute (templates: `{{ page_language() }}`; emails pass their own `language`)."""
    return customer_language()


def page_direction() -> str:
    return languages.direction(page_language())


def language_choices() -> list[tuple[str, str, str, bool]]:
    """The switcher's links on a customer page: (tag, name, address, current); none on staff pages or when
    there is only one language to choose."""
    if not has_request_context() or _for_staff() or request.endpoint is None:
        return []
    offered = g.get("hearken_languages") or languages.SHIPPED
    if len(offered) < 2:
        return []
    current = customer_language()
    args = {**request.args.to_dict(), **(request.view_args or {})}
    return [(tag, languages.name(tag), url_for(request.endpoint, **{**args, "lang": tag}), tag == current)
            for tag in offered]


def _remember_choice(response):
    """A `?lang=` the page could show is remembered for the customer's next pages."""
    chosen = languages.normalise(request.args.get("lang"))
    if chosen and not _for_staff() and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
