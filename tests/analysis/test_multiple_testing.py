"""Benjamini-Hochberg q-values, as R's p.adjust(method = "BH")."""
import pytest

from analysis.multiple_testing import benjamini_hochberg

# Benjamini & Hochberg (1995) JRSS B 57:289-300, Section 4 example: 15 p-values from a study of
# myocardial infarction treatments; at FDR q = 0.05 the four smallest are rejected.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
           0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]


def test_r_p_adjust_equal_p_values_example():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), method = "BH") -> 0.05 0.05 0.05 0.05 0.05
    assert benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx((0.05,) * 5)


def test_benjamini_hochberg_1995_example_rejects_four():
    q_values = benjamini_hochberg(BH_1995)
    assert sum(q <= 0.05 for q in q_values) == 4
    assert [q <= 0.05 for q in q_values[:5]] == [True, True, True, True, False]
    # Hand computation (m = 15): q_(i) = min_{j>=i} 15 p_(j) / j.
    assert q_values[:5] == pytest.approx((0.0015, 0.003, 0.0095, 0.035625, 0.0603))
    assert q_values[-1] == 1.0


def test_original_order_and_monotone():
    shuffled = [BH_1995[i] for i in (7, 0, 14, 3, 10, 1, 2, 4, 5, 6, 8, 9, 11, 12, 13)]
    q_sorted = benjamini_hochberg(BH_1995)
    q_shuffled = benjamini_hochberg(shuffled)
    assert q_shuffled == tuple(q_sorted[i] for i in (7, 0, 14, 3, 10, 1, 2, 4, 5, 6, 8, 9, 11, 12, 13))
    assert list(q_sorted) == sorted(q_sorted)
    assert all(q >= p for p, q in zip(BH_1995, q_sorted, strict=False))


def test_clipped_at_one_and_ties():
    # m * p / rank = 2 * 0.9 / 1 = 1.8 for the smaller p alone; the cumulative minimum gives 0.95.
    assert benjamini_hochberg([0.9, 0.95]) == pytest.approx((0.95, 0.95))
    assert benjamini_hochberg([0.6]) == (0.6,)
    assert benjamini_hochberg([0.02, 0.02, 0.5]) == pytest.approx((0.03, 0.03, 0.5))


def test_empty():
    assert benjamini_hochberg([]) == ()


@pytest.mark.parametrize("bad", [[0.1, -0.01], [1.5], [float("nan")], ["0.1"], [True]])
def test_invalid_p_values(bad):
    with pytest.raises(ValueError, match="p_values"):
        benjamini_hochberg(bad)


def test_invalid_container():
    with pytest.raises(ValueError, match="sequence"):
        benjamini_hochberg("0.1")
