"""Counted nouns in English, for every page and email: "1 customer", "2 customers", "1,204 responses".

One helper instead of `{{ 's' if n != 1 }}` sprinkled over templates, which was forgotten often enough
("1 customers"). Templates use the `plural` filter (`{{ n|plural('customer') }}`, or with the irregular
form: `{{ n|plural('reply', 'replies') }}`) and Python code calls `plural` itself. `number=False` gives the
word alone ("response" / "responses"), for sentences that print the number elsewhere.
"""
from __future__ import annotations

__all__ = ["init_app", "plural"]


def plural(count: int, singular: str, many: str | None = None, *, number: bool = True) -> str:
    """`count` with the noun that fits it: singular for exactly one, else `many` (default: singular + "s").
    Counts get thousands separators."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count:,} {word}" if number else word


def init_app(app) -> None:
    app.jinja_env.filters["plural"] = plural
