"""URL builders are compiled on first use (survey/web/routing.py), and build every URL as Werkzeug's would."""
from __future__ import annotations

from unittest import mock

from werkzeug.routing import AnyConverter, IntegerConverter, Map, Rule

from tests.conftest import build_app


def sample_values(rule: Rule) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[-1]
        elif isinstance(converter, IntegerConverter):
            values[name] = 7
        else:
            values[name] = "a b/é"  # quoted: a space, a slash where the converter allows one, non-ASCII
    return values


def test_create_app_compiles_no_url_builder_until_a_url_is_built(migrated, instance_path):
    with mock.patch.object(Rule, "_compile_builder", autospec=True, side_effect=Rule._compile_builder) as compiled:
        app = build_app(migrated, instance_path)
        assert compiled.call_count == 0  # was two per rule: 0.15-0.35 s of every create_app
        with app.test_request_context():
            from flask import url_for
            assert url_for("public.changes") == "/changes"
            url_for("public.changes")
        assert compiled.call_count == 1  # the one builder used, once


def test_every_rule_builds_the_url_werkzeug_builds(migrated, instance_path):
    app = build_app(migrated, instance_path)
    rules = list(app.url_map.iter_rules())
    eager = Map([Rule(rule.rule, **rule.get_empty_kwargs()) for rule in rules],
                converters=app.url_map.converters)
    lazy_urls, eager_urls = app.url_map.bind("hearken.test"), eager.bind("hearken.test")
    assert len(rules) > 100
    for rule in rules:
        values = {**sample_values(rule), "extra": "x&y"}  # an unknown value goes to the query string
        assert lazy_urls.build(rule.endpoint, values, force_external=True) == \
            eager_urls.build(rule.endpoint, values, force_external=True), rule.rule
