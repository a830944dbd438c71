"""Words for numbers, for every page, email and command: counted nouns ("1 customer", "2 customers",
"1,204 responses") and p- and q-values ("q = 0.012", "q < 0.001", never "q = 0.000").

One helper instead of `{{ 's' if n != 1 }}` sprinkled over templates, which was forgotten often enough
("1 customers"). Templates use the `plural` filter (`{{ n|plural('customer') }}`, or with the irregular
form: `{{ n|plural('reply', 'replies') }}`) and Python code calls `plural` itself. `number=False` gives the
word alone ("response" / "responses"), for sentences that print the number elsewhere.
"""
from __future__ import annotations

__all__ = ["format_p", "init_app", "plural"]


def plural(count: int, singular: str, many: str | None = None, *, number: bool = True) -> str:
    """`count` with the noun that fits it: singular for exactly one, else `many` (default: singular + "s").
    Counts get thousands separators."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count:,} {word}" if number else word


def format_p(value: float | None, name: str | None = None) -> str:
    """A p- or q-value as people read it: three decimals, and "< 0.001" below that (never "0.000").
    With a name: "q = 0.012", "q < 0.001". Templates: `{{ card.q_value|pvalue('q') }}`."""
    if value is None:
        return "–"
    text = "< 0.001" if value < 0.0005 else f"{value:.3f}"
    if name is None:
        return text
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def init_app(app) -> None:
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["pvalue"] = format_p
