"""bounded_mean: the mean of a rating or NPS with an interval that never leaves the scale.

Reference values from R 4.x (stats::glm, quasi-binomial fractional logit on the rescaled scores):

    ci <- function(values, counts, lo, hi) {
      y <- (rep(values, counts) - lo) / (hi - lo)
      fit <- glm(y ~ 1, family = quasibinomial)
      lo + (hi - lo) * plogis(coef(fit) + c(-1, 1) * qt(0.975, df.residual(fit)) * sqrt(vcov(fit)[1, 1]))
    }

and, for answers without spread, prop.test(y * n, n, correct = FALSE)$conf.int on the rescaled mean.
"""
import pytest

from analysis import bounded_mean, mean_score

CASES = [
    # values, counts, lowest, highest -> R's mean, low, high
    ((1, 2, 3, 4, 5), (2, 3, 5, 10, 10), 1, 5, (3.7666666667, 3.2709636796, 4.1720662526)),
    ((1, 2, 3, 4, 5), (0, 0, 0, 1, 29), 1, 5, (4.9666666667, 4.7520212811, 4.9957307344)),
    ((-1, 0, 1), (10, 10, 10), -1, 1, (0.0, -0.3005252646, 0.3005252646)),  # NPS 0 ± 30
    ((-1, 0, 1), (0, 1, 29), -1, 1, (0.9666666667, 0.7610987492, 0.9957735812)),  # NPS 97: up to 99.6, not 103
    ((1, 2, 3, 4, 5), (0, 1, 0, 1, 1), 1, 5, (3.6666666667, 1.1089273781, 4.9722003793)),  # the n = 3
    (tuple(range(11)), (1, 0, 2, 1, 3, 5, 8, 12, 20, 30, 18), 0, 10, (7.86, 7.4353889123, 8.2310355474)),
]


@pytest.mark.parametrize(("values", "counts", "lowest", "highest", "expected"), CASES)
def test_matches_r_quasibinomial_glm(values, counts, lowest, highest, expected):
    result = bounded_mean(dict(zip(values, counts, strict=True)), lowest, highest)
    assert (result.estimate, result.low, result.high) == pytest.approx(expected, abs=1e-8)
    assert result.method == "logit" and result.n == sum(counts)
    assert lowest <= result.low <= result.estimate <= result.high <= highest


def test_the_t_interval_it_replaces_left_the_scale():
    """The issue's card: 3.67 on a 1–5 scale "−0.13 to 7.46" at n = 3 (R: t.test(c(2, 4, 5))$conf.int)."""
    counts = {2: 1, 4: 1, 5: 1}
    t = mean_score(counts)
    assert (t.low, t.high) == pytest.approx((-0.1279, 7.4612), abs=1e-4)
    bounded = bounded_mean(counts, 1, 5)
    assert bounded.low >= 1 and bounded.high <= 5


@pytest.mark.parametrize(("counts", "r_conf_int", "lowest", "highest"), [
    ({5: 30}, (0.8864866068, 1.0), 1, 5),  # prop.test(30, 30, correct = FALSE)
    ({3: 30}, (0.3315412564, 0.6684587436), 1, 5),  # prop.test(15, 30, correct = FALSE)
    ({1: 30}, (0.0, 1 - 0.8864866068), 1, 5),
    ({1: 30}, (0.8864866068, 1.0), -1, 1),  # NPS: every answer a promoter
])
def test_no_spread_gives_the_widest_honest_interval_not_a_point(counts, r_conf_int, lowest, highest):
    result = bounded_mean(counts, lowest, highest)
    width = highest - lowest
    assert result.method == "wilson"
    assert (result.low, result.high) == pytest.approx(tuple(lowest + width * e for e in r_conf_int), abs=1e-8)
    assert result.low < result.high


def test_small_samples_and_validation():
    assert bounded_mean({}, 1, 5) == bounded_mean({4: 0}, 1, 5)
    assert bounded_mean({}, 1, 5).estimate is None
    one = bounded_mean({4: 1}, 1, 5)
    assert (one.estimate, one.low, one.high, one.n) == (4.0, None, None, 1)
    for bad, match in [(({6: 1}, 1, 5), "outside the scale"), (({3: 1}, 5, 1), "below"),
                       (({3: -1}, 1, 5), "non-negative"), (({"3": 1}, 1, 5), "integers"),
                       (([3], 1, 5), "mapping")]:
        with pytest.raises(ValueError, match=match):
            bounded_mean(*bad)
    with pytest.raises(ValueError, match="confidence"):
        bounded_mean({3: 2}, 1, 5, confidence=1.0)


def test_interval_always_inside_the_scale_and_around_the_mean():
    import itertools
    for counts in itertools.product(range(0, 4), repeat=5):
        if sum(counts) < 2:
            continue
        result = bounded_mean(dict(zip(range(1, 6), counts, strict=True)), 1, 5)
        assert 1 <= result.low <= result.estimate <= result.high <= 5, counts
