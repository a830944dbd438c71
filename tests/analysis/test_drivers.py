"""Key drivers (LMG, the Shapley decomposition of R²), pinned to R: relaimpo's decomposition of its swiss
example, computed in base R as the average over orders of each measure's increase in lm's R²."""
import pytest

import analysis.drivers as drivers_module
from analysis import key_drivers

# R's datasets::swiss (47 Swiss provinces, 1888), written out by write.csv(swiss).
SWISS = {
    "Fertility": [
        80.2, 83.1, 92.5, 85.8, 76.9, 76.1, 83.8, 92.4, 82.4, 82.9, 87.1, 64.1, 66.9, 68.9, 61.7, 68.3, 71.7, 55.7,
        54.3, 65.1, 65.5, 65, 56.6, 57.4, 72.5, 74.2, 72, 60.5, 58.3, 65.4, 75.5, 69.3, 77.3, 70.5, 79.4, 65, 92.2,
        79.3, 70.4, 65.7, 72.7, 64.4, 77.6, 67.6, 35, 44.7, 42.8],
    "Agriculture": [
        17, 45.1, 39.7, 36.5, 43.5, 35.3, 70.2, 67.8, 53.3, 45.2, 64.5, 62, 67.5, 60.7, 69.3, 72.6, 34, 19.4, 15.2,
        73, 59.8, 55.1, 50.9, 54.1, 71.2, 58.1, 63.5, 60.8, 26.8, 49.5, 85.9, 84.9, 89.7, 78.2, 64.9, 75.9, 84.6,
        63.1, 38.4, 7.7, 16.7, 17.6, 37.6, 18.7, 1.2, 46.6, 27.7],
    "Examination": [
        15, 6, 5, 12, 17, 9, 16, 14, 12, 16, 14, 21, 14, 19, 22, 18, 17, 26, 31, 19, 22, 14, 22, 20, 12, 14, 6, 16,
        25, 15, 3, 7, 5, 12, 7, 9, 3, 13, 26, 29, 22, 35, 15, 25, 37, 16, 22],
    "Education": [
        12, 9, 5, 7, 15, 7, 7, 8, 7, 13, 6, 12, 7, 12, 5, 2, 8, 28, 20, 9, 10, 3, 12, 6, 1, 8, 3, 10, 19, 8, 2, 6,
        2, 6, 3, 9, 3, 13, 12, 11, 13, 32, 7, 7, 53, 29, 29],
    "Catholic": [
        9.96, 84.84, 93.4, 33.77, 5.16, 90.57, 92.85, 97.16, 97.67, 91.38, 98.61, 8.52, 2.27, 4.43, 2.82, 24.2, 3.3,
        12.11, 2.15, 2.84, 5.23, 4.52, 15.14, 4.2, 2.4, 5.23, 2.56, 7.72, 18.46, 6.1, 99.71, 99.68, 100, 98.96,
        98.22, 99.06, 99.46, 96.83, 5.62, 13.79, 11.22, 16.92, 4.97, 8.65, 42.34, 50.43, 58.33],
    "Infant.Mortality": [
        22.2, 22.2, 20.2, 20.3, 20.6, 26.6, 23.6, 24.9, 21, 24.4, 24.5, 16.5, 19.1, 22.7, 18.7, 21.2, 20, 20.2,
        10.8, 20, 18, 22.4, 16.7, 15.3, 21, 23.8, 18, 16.3, 20.9, 22.5, 15.1, 19.8, 18.3, 19.4, 20.2, 17.8, 16.3,
        18.1, 20.3, 20.5, 18.9, 23, 20, 19.5, 18, 18.2, 19.3],
}
# In R (relaimpo's calc.relimp(swiss, type = "lmg") gives the same to its 4 printed digits):
#   r2 <- function(S) if (!length(S)) 0 else summary(lm(reformulate(S, "Fertility"), swiss))$r.squared
#   lmg_j = sum over subsets S of the others of |S|! (p - |S| - 1)! / p! * (r2(c(S, j)) - r2(S))
LMG = {"Agriculture": 0.0570912208, "Examination": 0.1711730289, "Education": 0.2601346786,
       "Catholic": 0.1055701504, "Infant.Mortality": 0.1127659229}
R_SQUARED = 0.7067350016
MEASURES = [name for name in SWISS if name != "Fertility"]


@pytest.fixture
def no_minimum(monkeypatch):
    """swiss has 47 rows, under the product's 50: the arithmetic is checked with the rule off."""
    monkeypatch.setattr(drivers_module, "MIN_RESPONSES", 0)
    monkeypatch.setattr(drivers_module, "PER_ATTRIBUTE", 0)


def test_lmg_matches_r_on_swiss(no_minimum):
    found = key_drivers(SWISS["Fertility"], {name: SWISS[name] for name in MEASURES}, bootstrap=0)
    assert found.r_squared == pytest.approx(R_SQUARED, abs=1e-9)
    assert {d.name: d.importance for d in found.drivers} == pytest.approx(LMG, abs=1e-9)
    assert [d.name for d in found.drivers] == ["Education", "Examination", "Infant.Mortality", "Catholic",
                                               "Agriculture"]
    assert sum(d.share for d in found.drivers) == pytest.approx(1.0)
    assert {d.name: d.mean for d in found.drivers}["Education"] == pytest.approx(10.97872340, abs=1e-8)


def test_the_order_attributes_are_listed_in_changes_nothing(no_minimum):
    reversed_order = key_drivers(SWISS["Fertility"], {name: SWISS[name] for name in reversed(MEASURES)},
                                 bootstrap=0)
    assert {d.name: d.importance for d in reversed_order.drivers} == pytest.approx(LMG, abs=1e-9)


def test_bootstrap_intervals_are_reproducible_and_narrow_with_more_responses(no_minimum):
    attributes = {name: SWISS[name] for name in MEASURES}
    once = key_drivers(SWISS["Fertility"], attributes, bootstrap=300, seed=7)
    again = key_drivers(SWISS["Fertility"], attributes, bootstrap=300, seed=7)
    assert once == again
    for driver in once.drivers:
        assert driver.low <= driver.importance <= driver.high
    four_times = key_drivers(SWISS["Fertility"] * 4, {k: v * 4 for k, v in attributes.items()}, bootstrap=300)
    width = {d.name: d.high - d.low for d in once.drivers}
    assert all(d.high - d.low < width[d.name] for d in four_times.drivers)


def test_too_few_complete_responses_says_so_instead_of_ranking():
    attributes = {name: SWISS[name] for name in MEASURES}
    found = key_drivers(SWISS["Fertility"], attributes)
    assert (found.n, found.minimum, found.enough, found.r_squared, found.drivers) == (47, 50, False, None, ())
    ten = {f"a{i}": [float(i + j % 5) for j in range(90)] for i in range(10)}
    assert key_drivers([1.0] * 90, ten, bootstrap=0).minimum == 100  # ten responses per attribute


def test_responses_missing_a_rating_are_left_out(no_minimum):
    overall = [*SWISS["Fertility"], None, 50.0]
    attributes = {name: [*SWISS[name], 1.0, None] for name in MEASURES}
    found = key_drivers(overall, attributes, bootstrap=0)
    assert found.n == 47 and found.r_squared == pytest.approx(R_SQUARED, abs=1e-9)


@pytest.mark.parametrize("overall, attributes, message", [
    ([1.0], {}, "at least one attribute"),
    ([1.0], {f"a{i}": [1.0] for i in range(13)}, "at most 12"),
    ([1.0, 2.0], {"wait": [1.0]}, "wait has 1 ratings"),
    ([1.0], {"wait": ["5"]}, r"wait\[0\] must be a number"),
    ([float("nan")], {"wait": [1.0]}, r"overall\[0\] must be a number"),
])
def test_bad_input_is_refused_by_name(overall, attributes, message):
    with pytest.raises(ValueError, match=message):
        key_drivers(overall, attributes)
