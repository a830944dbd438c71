"""Sample size and detectable change for two shares, as R's power.prop.test."""
import math

import pytest

from analysis.power import _power, detectable_change, sample_size_nps, sample_size_two_shares


def test_r_power_prop_test_documented_n():
    # R ?power.prop.test: power.prop.test(p1 = .50, p2 = .75, power = .90)  # =>  n = 76.7
    # (closed form: ((1.959964*sqrt(2*.625*.375) + 1.281552*sqrt(.25+.1875)) / .25)^2 = 76.71)
    assert sample_size_two_shares(0.50, 0.75, power=0.90) == 77
    assert sample_size_two_shares(0.75, 0.50, power=0.90) == 77  # symmetric in direction


def test_r_power_prop_test_documented_power():
    # R ?power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75)  # =>  power = 0.740
    assert _power(50, 0.50, 0.75, 0.05) == pytest.approx(0.740, abs=5e-4)


def test_ninety_to_seventy_five_needs_about_a_hundred_a_period():
    # The mission's example: 90 % -> 75 % needs about 100 responses a period for 80 % power.
    # R: power.prop.test(p1 = 0.90, p2 = 0.75, power = 0.80) -> n = 99.54 (closed form
    # ((1.959964*sqrt(2*.825*.175) + 0.841621*sqrt(.09+.1875)) / .15)^2 = 99.54).
    assert sample_size_two_shares(0.90, 0.75) == 100


def test_returned_n_is_the_smallest_with_enough_power():
    for p1, p2, power in [(0.9, 0.75, 0.8), (0.5, 0.75, 0.9), (0.2, 0.3, 0.8), (0.6, 0.55, 0.95)]:
        n = sample_size_two_shares(p1, p2, power=power)
        assert _power(n, p1, p2, 0.05) >= power
        assert _power(n - 1, p1, p2, 0.05) < power


def test_stricter_alpha_needs_more():
    assert sample_size_two_shares(0.9, 0.75, alpha=0.01) > sample_size_two_shares(0.9, 0.75)


def test_huge_difference_needs_what_r_says():
    # R 4.2: power.prop.test(p1 = 0.01, p2 = 0.99, power = 0.5)$n  # => 1.999934 (whole responses: 2)
    assert sample_size_two_shares(0.01, 0.99, power=0.5) == 2
    # power.prop.test(p1 = 0.9, p2 = 0.75, power = 0.8)$n  # => 99.54016: the design's "about 100"
    assert sample_size_two_shares(0.9, 0.75) == 100


class TestDetectableChange:
    def test_r_power_prop_test_documented_p2(self):
        # R ?power.prop.test: power.prop.test(n = 50, p1 = .5, power = .90)  # =>  p2 = 0.8026
        assert detectable_change(0.5, 50, power=0.90, direction="up") == pytest.approx(0.3026, abs=1e-4)

    def test_inverse_of_sample_size(self):
        # With n = 99.54 per period a 90 % -> 75 % drop has 80 % power; with n = 100 a slightly
        # smaller drop (0.1496) is the smallest detectable.
        change = detectable_change(0.90, 100)
        assert 0.14 < change < 0.15
        assert sample_size_two_shares(0.90, 0.90 - change) == 100
        assert _power(100, 0.90, 0.90 - change, 0.05) == pytest.approx(0.8, abs=1e-9)

    def test_more_responses_detect_smaller_changes(self):
        assert detectable_change(0.8, 400) < detectable_change(0.8, 100) < detectable_change(0.8, 25)

    def test_undetectable_and_empty(self):
        assert detectable_change(0.05, 10) is None  # even a drop to 0 % is not detectable
        assert detectable_change(0.5, 0) is None

    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            ((0.0, 10), {}, "p1"),
            ((1.0, 10), {}, "p1"),
            ((0.5, -1), {}, "n"),
            ((0.5, 2.5), {}, "whole"),
            ((0.5, 10), {"alpha": 0}, "alpha"),
            ((0.5, 10), {"power": 1}, "power"),
            ((0.5, 10), {"power": 0.01}, "greater than alpha"),
            ((0.5, 10), {"direction": "sideways"}, "direction"),
        ],
    )
    def test_invalid_input(self, args, kwargs, message):
        with pytest.raises(ValueError, match=message):
            detectable_change(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0.5, 0.5), {}, "differ"),
        ((0.0, 0.5), {}, "p1"),
        ((0.5, 1.0), {}, "p2"),
        ((0.5, 0.6), {"alpha": 1.5}, "alpha"),
        ((0.5, 0.6), {"power": 0.0}, "power"),
        ((0.5, 0.6), {"power": 0.04}, "greater than alpha"),
        ((0.5, 0.5 + 1e-9), {}, "too close"),
    ],
)
def test_sample_size_invalid_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_two_shares(*args, **kwargs)


def test_power_formula_matches_closed_form_when_second_tail_is_negligible():
    # Classic normal-approximation formula (Fleiss, Levin & Paik 2003, eq. 4.14 without CC):
    # n = (z_{a/2} sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / d^2
    p1, p2 = 0.2, 0.3
    z_a, z_b = 1.959963984540054, 0.8416212335729143
    closed = (z_a * math.sqrt(2 * 0.25 * 0.75) + z_b * math.sqrt(0.16 + 0.21)) ** 2 / 0.01
    assert sample_size_two_shares(p1, p2) == math.ceil(closed)


# --- NPS: the trinomial variance (Rocks 2016) -------------------------------------------------------

@pytest.mark.parametrize(
    ("promoters", "detractors", "kwargs", "expected"),
    [
        # R: v <- function(p, d) p + d - (p - d)^2
        # (qnorm(0.975) + qnorm(0.8))^2 * 2 * v(.49, .25) / 0.1^2 = 1071.215106  (NPS +24, a 10-point drop;
        # power.t.test(delta = 0.1, sd = sqrt(0.6824), power = 0.8)$n = 1072.18)
        (0.49, 0.25, {}, 1072),
        # (qnorm(0.975) + qnorm(0.9))^2 * 2 * v(.6, .1) / 0.05^2 = 3782.672302
        (0.60, 0.10, {"drop": 5, "power": 0.9}, 3783),
        # (qnorm(0.995) + qnorm(0.8))^2 * 2 * v(.3, .3) / 0.2^2 = 350.3690452
        (0.30, 0.30, {"drop": 20, "alpha": 0.01}, 351),
    ],
)
def test_sample_size_nps_matches_r(promoters, detractors, kwargs, expected):
    assert sample_size_nps(promoters, detractors, **kwargs) == expected


def test_sample_size_nps_is_far_above_the_minimum_the_page_used_to_print():
    """The Trends page said "at least 30" for NPS; at NPS +24 a 10-point drop needs about 1 070 a month."""
    assert sample_size_nps(0.49, 0.25) > 30 * 35


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1.2, 0.1), {}, "promoters"),
        ((0.5, -0.1), {}, "detractors"),
        ((0.6, 0.5), {}, "sum to more than 1"),
        ((1.0, 0.0), {}, "no variance"),
        ((0.5, 0.2), {"drop": 0}, "drop"),
        ((0.5, 0.2), {"drop": 250}, "drop"),
        ((0.5, 0.2), {"power": 0.01}, "greater than alpha"),
        ((float("nan"), 0.2), {}, "promoters"),
    ],
)
def test_sample_size_nps_invalid_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_size_nps(*args, **kwargs)
