"""URL rules whose builders are compiled when a URL is first built from them, not when the rule is added.

Werkzeug turns each rule into two URL-building functions through `ast` and `compile()` as the rule is added
to the map (about 1 ms a rule). With 126 rules that was 0.15–0.35 s of every `create_app`: paid by every
command-line process (most of `changes-digest`'s own work is smaller), every gunicorn worker, and every test's
application, while a process builds URLs from a handful of rules. Matching requests never needs the builders.
The builder compiled later is Werkzeug's own, so every URL is built exactly as before.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule


class LazyBuildRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_then_replace(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            # Rule.compile binds what this method returns to the rule; the compiled builder replaces it
            # on the instance, so this runs once per rule and kind. Two threads racing here both compile the
            # same function: harmless.
            builder = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            return builder(*args, **kwargs)

        return build_then_replace


class LazyBuildFlask(Flask):
    """Flask with LazyBuildRule for every rule, its own /static rule (added by Flask's constructor) included."""

    url_rule_class = LazyBuildRule
