"""Binomial CUSUM and p-chart."""
import math

import pytest

from analysis.drift import DEFAULT_CUSUM_ARL, Cusum, PChart, cusum, p_chart

# NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.3.2 "Proportions Control Charts"
# (the same data as Montgomery, Introduction to Statistical Quality Control, orange-juice cans,
# Table 7.1): 30 samples of 50, number defective per sample. Published: p-bar = 0.2313,
# UCL = 0.4102, LCL = 0.0524; samples 15 and 23 (1-based) are above the UCL.
NIST_DEFECTIVES = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                   8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


class TestPChart:
    def test_nist_handbook_example(self):
        chart = p_chart(NIST_DEFECTIVES, [50] * 30)
        assert chart.center == pytest.approx(0.2313, abs=1e-4)
        assert all(low == pytest.approx(0.0524, abs=1e-4) for low in chart.lower)
        assert all(high == pytest.approx(0.4102, abs=1e-4) for high in chart.upper)
        assert chart.out_of_control == (14, 22)
        assert chart.points[14] == pytest.approx(0.44)

    def test_limits_use_each_periods_own_n(self):
        # center 0.2: n = 100 -> 0.2 -/+ 3*0.04 = 0.08 .. 0.32; n = 25 -> 0.2 -/+ 0.24, clipped at 0.
        chart = p_chart([20, 5, 9], [100, 25, 25], center=0.2)
        assert chart.lower[0] == pytest.approx(0.08) and chart.upper[0] == pytest.approx(0.32)
        assert chart.lower[1] == 0.0 and chart.upper[1] == pytest.approx(0.44)
        assert chart.points == (0.2, 0.2, 0.36)
        assert chart.out_of_control == ()

    def test_clipped_to_unit_interval(self):
        chart = p_chart([1, 0], [2, 2], center=0.9)
        assert chart.upper == (1.0, 1.0)
        assert chart.out_of_control == (1,)  # 0/2 is below 0.9 - 3*sqrt(0.09/2) = 0.2636

    def test_period_with_no_responses(self):
        chart = p_chart([5, 0, 6], [10, 0, 10])
        assert chart.center == pytest.approx(11 / 20)
        assert chart.points[1] is None and chart.lower[1] is None and chart.upper[1] is None
        assert chart.out_of_control == ()

    def test_no_responses_at_all(self):
        assert p_chart([0, 0], [0, 0]) == PChart(None, (None, None), (None, None), (None, None), ())
        assert p_chart([], []) == PChart(None, (), (), (), ())

    @pytest.mark.parametrize(
        ("successes", "ns", "center", "message"),
        [
            ([1, 2], [3], None, "same length"),
            ([4], [3], None, "must not exceed"),
            ([-1], [3], None, "non-negative"),
            ([1], [3], 1.5, "center"),
            ("12", "34", None, "sequence"),
        ],
    )
    def test_invalid_input(self, successes, ns, center, message):
        with pytest.raises(ValueError, match=message):
            p_chart(successes, ns, center)


class TestCusum:
    def test_hand_computed_drop(self):
        # Watching p0 = 0.9 for a drop to p1 = 0.75 (Page 1954 CUSUM of the binomial LLR):
        # success weight ln(0.75/0.9) = -0.182322, failure weight ln(0.25/0.1) = 0.916291.
        # 18/20: -3.281792 + 1.832581 = -1.449 -> 0;  17/20: -3.099470 + 2.748872 -> 0;
        # 13/20: -2.370183 + 6.414035 = 4.043852;    12/20: 4.043852 - 2.187865 + 7.330326 = 9.186313.
        result = cusum([18, 17, 13, 12], [20, 20, 20, 20], p0=0.9, p1=0.75, h=5.0)
        assert result.statistics == pytest.approx((0.0, 0.0, 4.043855, 9.186322), abs=1e-5)
        assert result.signal_index == 3
        assert result.h == 5.0

    def test_binomial_period_equals_sum_of_bernoulli_llrs(self):
        # When the Bernoulli path never resets inside the period, one binomial period adds the
        # same LLR as its n Bernoulli observations one at a time (Reynolds & Stoumbos 1999).
        # p0 = 0.2, p1 = 0.4: success ln 2 = 0.693147, failure ln(0.6/0.8) = -0.287682;
        # 3 of 5: 3*0.693147 - 2*0.287682 = 1.504077.
        binomial = cusum([3], [5], p0=0.2, p1=0.4, h=100)
        bernoulli = cusum([1, 1, 1, 0, 0], [1] * 5, p0=0.2, p1=0.4, h=100)
        assert binomial.statistics[0] == pytest.approx(1.504077, abs=1e-6)
        assert bernoulli.statistics[-1] == pytest.approx(binomial.statistics[0])

    def test_detects_a_rise_too(self):
        result = cusum([2, 2, 6, 7], [10, 10, 10, 10], p0=0.2, p1=0.5, h=3.0)
        assert result.signal_index == 2

    def test_in_control_data_does_not_signal(self):
        result = cusum([90, 91, 89, 90, 92], [100] * 5, p0=0.9, p1=0.75)
        assert result.statistics == (0.0,) * 5
        assert result.signal_index is None

    def test_default_threshold(self):
        assert cusum([], [], 0.9, 0.75) == Cusum((), None, math.log(DEFAULT_CUSUM_ARL))
        assert math.log(DEFAULT_CUSUM_ARL) == pytest.approx(6.9078, abs=1e-4)

    def test_period_with_no_responses_adds_nothing(self):
        with_gap = cusum([13, 0, 12], [20, 0, 20], p0=0.9, p1=0.75, h=100)
        without = cusum([13, 12], [20, 20], p0=0.9, p1=0.75, h=100)
        assert with_gap.statistics == (without.statistics[0], without.statistics[0], without.statistics[1])

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"p0": 0.9, "p1": 0.9}, "differ"),
            ({"p0": 0.0, "p1": 0.5}, "p0"),
            ({"p0": 0.5, "p1": 1.0}, "p1"),
            ({"p0": 0.9, "p1": 0.75, "h": 0}, "h must be"),
            ({"p0": 0.9, "p1": 0.75, "h": -1.0}, "h must be"),
        ],
    )
    def test_invalid_parameters(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            cusum([1], [2], **kwargs)

    @pytest.mark.parametrize(
        ("successes", "ns", "message"),
        [([1, 2], [3], "same length"), ([4], [3], "successes\\[0\\]"), ([1], [-3], "ns\\[0\\]")],
    )
    def test_invalid_counts(self, successes, ns, message):
        with pytest.raises(ValueError, match=message):
            cusum(successes, ns, 0.9, 0.75)
