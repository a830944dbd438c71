"""Words for numbers, for every page, email and command: counted nouns ("1 customer", "2 customers",
"1,204 responses"), p- and q-values ("q = 0.012", "q < 0.001", never "q = 0.000"), and the results'
figures: a metric's value ("75 %", "+38", "4.21") and a change in it ("−15.0 points", "−22").

One helper instead of `{{ 's' if n != 1 }}` sprinkled over templates, which was forgotten often enough
("1 customers"). Templates use the `plural` filter (`{{ n|plural('customer') }}`, or with the irregular
form: `{{ n|plural('reply', 'replies') }}`) and Python code calls `plural` itself. `number=False` gives the
word alone ("response" / "responses"), for sentences that print the number elsewhere.

Every figure a person reads — on the results page, in alert emails and pages, on the trends page, in the
scorecard, in charts and on the command line — is written by `format_value` and `format_difference`, with
the typographic minus (U+2212: screen readers say "minus", and it is as wide as "+"). The dashboard and
the alerts had formatters of their own, and the same drop read "−15.0 points" on the results page and
"-15.0 points" in the email about it. Templates use the filters `{{ value|metric_value(metric) }}` and
`{{ difference|metric_difference(metric) }}`; JSON keeps numbers as numbers.
"""
from __future__ import annotations

__all__ = ["PERCENT_METRICS", "format_difference", "format_p", "format_tick", "format_value", "init_app",
           "plural"]


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


# Metrics whose values are shares (0–1), shown as percentages and their changes as percentage points. The
# others: "nps" (−100…100, signed), "mean" (a mean score) and "responses" (a count).
PERCENT_METRICS = ("top_box", "top2_box", "top3_box", "yes", "rate", "first", "mentions")  # first: ranked
# first (trends); mentions: of a theme
MINUS = "\u2212"


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def format_value(value: float | None, metric: str) -> str:
    """One metric's value: "75 %" for shares (kept as fractions), "+38" for the NPS, "4.21" for a mean, "1,204"
    for a count; "–" when there is none. Templates: `{{ value|metric_value(metric) }}`."""
    if value is None:
        return "–"
    if metric in PERCENT_METRICS:
        return _minus(f"{value * 100:.0f} %")
    if metric == "nps":
        return _minus(f"{value:+.0f}")
    if metric == "mean":
        return _minus(f"{value:.2f}")
    return _minus(f"{value:,.0f}")


def format_difference(value: float | None, metric: str) -> str:
    """A change in one metric, always signed: "−15.0 points" for shares, "−22" for the NPS, "+0.12" for a mean,
    "+35" for a count. Templates: `{{ difference|metric_difference(metric) }}`."""
    if value is None:
        return "–"
    if metric in PERCENT_METRICS:
        return _minus(f"{value * 100:+.1f} points")
    if metric == "mean":
        return _minus(f"{value:+.2f}")
    return _minus(f"{value:+,.0f}")


def format_tick(value: float, percent: bool) -> str:
    """A chart axis' label, in the axis' units (percent: 0–100): "40 %", "−50", no plus sign."""
    return f"{value:.0f} %" if percent else _minus(f"{value:g}")


def init_app(app) -> None:
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["pvalue"] = format_p
    app.jinja_env.filters["metric_value"] = format_value
    app.jinja_env.filters["metric_difference"] = format_difference
