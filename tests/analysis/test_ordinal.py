"""Mann-Whitney U from counts, tie-corrected normal approximation."""
import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm

from analysis.ordinal import MannWhitney, mann_whitney

# R ?wilcox.test example (Hollander & Wolfe 1973, p. 69f, permeability constants), x100 so the
# values are integers (ranks, and so U, are unchanged by scaling):
#   x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
#   y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
#   wilcox.test(x, y, alternative = "greater", exact = FALSE, correct = FALSE)
#   -> W = 35, p-value = 0.1103   ("H&W large sample approximation")
X = [80, 83, 189, 104, 145, 138, 191, 164, 73, 146]
Y = [115, 88, 90, 74, 121]


def _counts(rows):
    values, counts = np.unique(rows, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=False)}


def test_r_wilcox_test_hollander_wolfe_example():
    result = mann_whitney(_counts(Y), _counts(X), continuity=False)
    assert result.u == 35
    assert result.effect == pytest.approx(35 / 50)
    assert norm.sf(result.z) == pytest.approx(0.1103, abs=1e-4)  # R's one-sided p-value
    assert result.p_value == pytest.approx(2 * 0.1103, abs=2e-4)


def test_hand_computed_with_ties():
    # A = {1, 1, 2}, B = {2, 3, 3}: U_B = 2 + 0.5 + 3 + 3 = 8.5; mu = 4.5;
    # ties t = 2 at each of 1, 2, 3 -> sum(t^3 - t) = 18; var = 9/12 * (7 - 18/30) = 4.8;
    # z = (8.5 - 4.5 - 0.5) / sqrt(4.8) = 1.5975; p = 2 * (1 - Phi(1.5975)) = 0.1101.
    result = mann_whitney({1: 2, 2: 1}, {2: 1, 3: 2})
    assert result.u == 8.5
    assert result.z == pytest.approx(1.5975, abs=1e-4)
    assert result.p_value == pytest.approx(0.1101, abs=1e-4)
    assert result.effect == pytest.approx(8.5 / 9)


@pytest.mark.parametrize("continuity", [True, False])
def test_matches_scipy_on_expanded_rows_with_many_ties(continuity):
    # Cross-check: scipy.stats.mannwhitneyu(method="asymptotic") on the expanded response rows
    # uses the same midrank tie correction (scipy's default use_continuity=True).
    a = {1: 4, 2: 9, 3: 20, 4: 31, 5: 12}
    b = {1: 10, 2: 15, 3: 22, 4: 18, 5: 5}
    rows_a = np.repeat(list(a), list(a.values()))
    rows_b = np.repeat(list(b), list(b.values()))
    reference = mannwhitneyu(rows_b, rows_a, method="asymptotic", use_continuity=continuity)
    result = mann_whitney(a, b, continuity=continuity)
    assert result.u == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.z < 0  # B is lower
    assert result.effect == pytest.approx(reference.statistic / (76 * 70))


def test_swapping_groups_mirrors_the_result():
    a, b = {1: 3, 4: 5, 5: 2}, {2: 1, 4: 2, 5: 6}
    forward, backward = mann_whitney(a, b), mann_whitney(b, a)
    assert forward.effect + backward.effect == pytest.approx(1.0)
    assert forward.z == pytest.approx(-backward.z)
    assert forward.p_value == pytest.approx(backward.p_value)


def test_no_shift_gives_p_one():
    result = mann_whitney({1: 2, 5: 2}, {1: 2, 5: 2})
    assert result.effect == 0.5 and result.z == 0.0 and result.p_value == 1.0


def test_all_responses_identical_has_undefined_test():
    assert mann_whitney({3: 5}, {3: 7}) == MannWhitney(17.5, None, None, 0.5)


def test_empty_group():
    assert mann_whitney({}, {3: 7}) == MannWhitney(None, None, None, None)
    assert mann_whitney({3: 2}, {3: 0}) == MannWhitney(None, None, None, None)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ({1: -1}, {1: 1}, "counts_a"),
        ({1: 1}, {2: 0.5}, "counts_b"),
        ({"1": 1}, {1: 1}, "integers"),
        ([1, 2], {1: 1}, "mapping"),
    ],
)
def test_invalid_input(a, b, message):
    with pytest.raises(ValueError, match=message):
        mann_whitney(a, b)
