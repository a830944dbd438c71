"""Wilson score interval, pinned to Newcombe (1998a) Table I (method 3: score interval, no CC)."""
import pytest

from analysis.intervals import Interval, wilson


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe RG (1998) "Two-sided confidence intervals for the single proportion",
        # Stat Med 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_newcombe_1998_table_1(successes, n, low, high):
    ci = wilson(successes, n)
    assert ci.low == pytest.approx(low, abs=1e-4)
    assert ci.high == pytest.approx(high, abs=1e-4)


def test_bounds_are_exact_at_the_edges():
    assert wilson(0, 20).low == 0.0
    assert wilson(29, 29).high == 1.0


def test_wider_at_higher_confidence():
    narrow, wide = wilson(81, 263, 0.90), wilson(81, 263, 0.99)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_result_is_frozen():
    ci = wilson(1, 2)
    with pytest.raises(AttributeError):
        ci.low = 0.0  # type: ignore[misc]


def test_n_zero_gives_undefined_interval():
    assert wilson(0, 0) == Interval(None, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10), "successes"),
        ((1, -10), "n"),
        ((11, 10), "must not exceed"),
        ((1.5, 10), "whole number"),
        ((1, 10, 0.0), "confidence"),
        ((1, 10, 1.0), "confidence"),
        ((1, 10, 95), "confidence"),
    ],
)
def test_invalid_input_raises_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        wilson(*args)
