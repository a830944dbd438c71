"""share / distribution / mean_score from counts per scale value."""
import math

import numpy as np
import pytest
from scipy import stats

from analysis.shares import Distribution, Mean, Share, distribution, mean_score, share

# Student's sleep data as in R's ?t.test example
#   with(sleep, t.test(extra[group == 1], extra[group == 2], paired = TRUE))
#   -> t = -4.0621, df = 9, p-value = 0.002833,
#      95 percent CI: -2.4598858 -0.7001142, mean difference -1.58.
# The ten paired differences (-1.2, -2.4, -1.3, -1.3, 0.0, -1.0, -1.8, -0.8, -4.6, -1.4) are
# multiplied by 10 to make integer "scale values"; the mean and CI scale by 10 too.
SLEEP_DIFFERENCES_X10 = {-12: 1, -24: 1, -13: 2, 0: 1, -10: 1, -18: 1, -8: 1, -46: 1, -14: 1}


class TestShare:
    def test_top_box_matches_newcombe_1998_table_1(self):
        # Newcombe (1998) Stat Med 17:857-872, Table I: 81/263 -> Wilson 0.2553 to 0.3662.
        result = share({5: 81, 4: 120, 3: 40, 2: 15, 1: 7}, top_values={5})
        assert (result.successes, result.n) == (81, 263)
        assert result.estimate == pytest.approx(0.3080, abs=1e-4)
        assert result.low == pytest.approx(0.2553, abs=1e-4)
        assert result.high == pytest.approx(0.3662, abs=1e-4)

    def test_top_two_box(self):
        # Newcombe (1998) Table I: 15/148 -> 0.0624 to 0.1605.
        result = share({5: 5, 4: 10, 3: 100, 1: 33}, top_values=[4, 5])
        assert (result.successes, result.n) == (15, 148)
        assert (result.low, result.high) == (pytest.approx(0.0624, abs=1e-4), pytest.approx(0.1605, abs=1e-4))

    def test_no_successes(self):
        # Newcombe (1998) Table I: 0/20 -> 0 to 0.1611.
        result = share({1: 20}, top_values={5})
        assert result.estimate == 0.0
        assert result.low == 0.0
        assert result.high == pytest.approx(0.1611, abs=1e-4)

    def test_n_zero(self):
        assert share({}, top_values={5}) == Share(0, 0, None, None, None)
        assert share({5: 0, 4: 0}, top_values={5}) == Share(0, 0, None, None, None)

    @pytest.mark.parametrize(
        ("counts", "top", "confidence", "message"),
        [
            ({5: -1}, {5}, 0.95, "non-negative"),
            ({5: 1.5}, {5}, 0.95, "whole number"),
            ({"5": 1}, {5}, 0.95, "integers"),
            ({5: 1}, set(), 0.95, "top_values"),
            ({5: 1}, {5}, 1.5, "confidence"),
            ([1, 2], {5}, 0.95, "mapping"),
        ],
    )
    def test_invalid_input(self, counts, top, confidence, message):
        with pytest.raises(ValueError, match=message):
            share(counts, top, confidence)


class TestDistribution:
    def test_fills_missing_values_and_keeps_scale_order(self):
        # Newcombe (1998) Table I point estimate 81/263 = 0.3080.
        result = distribution({5: 81, 1: 182}, scale_values=[5, 4, 3, 2, 1])
        assert result.values == (5, 4, 3, 2, 1)
        assert result.counts == (81, 0, 0, 0, 182)
        assert result.n == 263
        assert result.proportions[0] == pytest.approx(0.3080, abs=1e-4)
        assert sum(result.proportions) == pytest.approx(1.0)

    def test_n_zero(self):
        assert distribution({}, range(1, 4)) == Distribution((1, 2, 3), (0, 0, 0), (None, None, None), 0)

    def test_zero_count_off_scale_is_harmless(self):
        assert distribution({9: 0, 1: 2}, [1, 2]).counts == (2, 0)

    @pytest.mark.parametrize(
        ("counts", "scale", "message"),
        [
            ({1: -2}, [1, 2], "non-negative"),
            ({7: 1}, [1, 2], "not on the scale"),
            ({1: 1}, [], "empty"),
            ({1: 1}, [1, 1, 2], "repeat"),
        ],
    )
    def test_invalid_input(self, counts, scale, message):
        with pytest.raises(ValueError, match=message):
            distribution(counts, scale)


class TestMeanScore:
    def test_matches_r_t_test_sleep_example(self):
        # R ?t.test: paired sleep example, 95 % CI -2.4598858 to -0.7001142, mean -1.58 (x10 here).
        result = mean_score(SLEEP_DIFFERENCES_X10)
        assert result.n == 10
        assert result.estimate == pytest.approx(-15.8, abs=1e-9)
        assert result.low == pytest.approx(-24.598858, abs=1e-5)
        assert result.high == pytest.approx(-7.001142, abs=1e-5)
        # t = mean / (sd / sqrt(n)) = -4.0621 (same R output)
        assert result.estimate / (result.sd / math.sqrt(result.n)) == pytest.approx(-4.0621, abs=1e-4)

    def test_matches_expanded_data(self):
        # Cross-check against numpy/scipy on the expanded response rows (scipy.stats.t.interval).
        counts = {1: 3, 2: 5, 3: 10, 4: 22, 5: 9}
        rows = np.repeat(list(counts), list(counts.values()))
        result = mean_score(counts, confidence=0.9)
        low, high = stats.t.interval(0.9, len(rows) - 1, loc=rows.mean(), scale=stats.sem(rows))
        assert result.estimate == pytest.approx(rows.mean())
        assert result.sd == pytest.approx(rows.std(ddof=1))
        assert (result.low, result.high) == (pytest.approx(low), pytest.approx(high))

    def test_n_zero_and_one(self):
        assert mean_score({}) == Mean(None, None, None, None, 0)
        assert mean_score({4: 1, 5: 0}) == Mean(4.0, None, None, None, 1)

    def test_no_spread(self):
        assert mean_score({3: 5}) == Mean(3.0, 3.0, 3.0, 0.0, 5)

    @pytest.mark.parametrize(
        ("counts", "confidence", "message"),
        [({1: -1}, 0.95, "non-negative"), ({1: 1}, 0.0, "confidence"), ({1.5: 1}, 0.95, "integers")],
    )
    def test_invalid_input(self, counts, confidence, message):
        with pytest.raises(ValueError, match=message):
            mean_score(counts, confidence)
