"""Quartiles from counts agree with numpy's default (R's type 7) on the expanded answers; histograms."""
import numpy as np
import pytest

from analysis import histogram, quartiles


@pytest.mark.parametrize("counts", [{1: 1, 2: 1, 3: 1, 4: 1}, {3.5: 7}, {0: 3, 10: 1, 2.5: 4, 7: 2}, {-4: 1, 9: 5}])
def test_quartiles_match_numpy_on_the_expanded_answers(counts):
    expanded = [value for value, count in counts.items() for _ in range(count)]
    result = quartiles(counts)
    assert result.n == len(expanded) and (result.low, result.high) == (min(expanded), max(expanded))
    assert [result.q1, result.median, result.q3] == pytest.approx(np.percentile(expanded, [25, 50, 75]))


def test_no_answers_have_no_quartiles_and_bad_counts_are_refused():
    assert quartiles({}).median is None and histogram({}) == []
    with pytest.raises(ValueError, match="count of 1"):
        quartiles({1: -1})
    with pytest.raises(ValueError, match="finite"):
        quartiles({float("nan"): 1})


def test_histogram_bins_hold_their_lower_edge_and_the_last_its_upper():
    assert histogram({1: 2, 5: 1, 10: 3}, bins=3) == [(1, 4, 2), (4, 7, 1), (7, 10, 3)]
    assert histogram({2: 4}) == [(2, 2, 4)]
