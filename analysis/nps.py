"""Net Promoter Score with an adjusted-Wald interval, and the difference of two NPS.

NPS = 100 × (promoters − detractors) / n, on the −100..100 scale. Its sampling variance follows
from the trinomial distribution of (promoter, passive, detractor)::

    var(NPS / 100) = (p_p + p_d − (p_p − p_d)²) / n

Intervals use the adjusted-Wald method that Rocks (2016) found to have the best coverage for
small samples: add 3/4 to the promoters, 3/4 to the detractors and 3 to n (so 3/2 to the
passives), then apply the Wald formula to the adjusted proportions. The *interval* (and ``se``)
always come from the adjusted counts, for every n; the reported point ``score`` is the plain,
unadjusted NPS. Intervals are clipped to the scale's range.

For two periods, Lewis & Sauro (2021) apply the same adjustment to each period and combine the
two adjusted variances (independent samples) for a z test and interval of the difference.

References
----------
Rocks B (2016). Interval estimation for the "Net Promoter Score". The American Statistician
    70(4):365-372.
Lewis JR, Sauro J (2021). Confidence intervals for Net Promoter Scores; How to statistically
    compare two Net Promoter Scores. MeasuringU (measuringu.com/nps-confidence-intervals/,
    measuringu.com/nps-significance-test/).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis._checks import check_confidence, check_count
from analysis._distributions import norm_ppf, norm_sf

__all__ = ["DETRACTOR_MAX", "NPS", "NPSDifference", "PROMOTER_MIN", "nps", "nps_difference", "nps_groups"]

# The answers to "how likely are you to recommend us" (0–10) that make a promoter and a detractor; passives
# answer in between. Defined here only: every count of promoters and detractors in Hearken uses these.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6

_PSEUDO_COUNT = 0.75  # added to promoters and to detractors; 3 is added to n (Rocks 2016)
_PSEUDO_N = 3.0


def _adjusted(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """Adjusted-Wald NPS (as a fraction, −1..1) and its variance."""
    n_adj = n + _PSEUDO_N
    p_promoters = (promoters + _PSEUDO_COUNT) / n_adj
    p_detractors = (detractors + _PSEUDO_COUNT) / n_adj
    score = p_promoters - p_detractors
    variance = (p_promoters + p_detractors - score * score) / n_adj
    return score, variance


def _clip(value: float, bound: float) -> float:
    return float(min(bound, max(-bound, value)))


@dataclass(frozen=True)
class NPS:
    """Net Promoter Score of one period.

    Attributes
    ----------
    score : float or None
        100 × (promoters − detractors) / n, the plain (unadjusted) NPS; ``None`` when n == 0.
    low, high : float or None
        Adjusted-Wald confidence limits on the −100..100 scale, clipped to [−100, 100];
        ``None`` when n == 0.
    n : int
        promoters + passives + detractors.
    promoters, passives, detractors : int
        The counts given.
    se : float or None
        Standard error used for the interval (adjusted-Wald, −100..100 scale); ``None`` when n == 0.
    """

    score: float | None
    low: float | None
    high: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    se: float | None


def nps_groups(counts_by_value: Mapping[int, int]) -> tuple[int, int, int]:
    """Promoters, passives and detractors from the counts of each answer 0–10.

    Parameters
    ----------
    counts_by_value : Mapping[int, int]
        How many responses gave each answer (as a SQL ``GROUP BY value`` gives them).

    Returns
    -------
    tuple of int
        (promoters, passives, detractors): answers of at least ``PROMOTER_MIN`` (9), at most
        ``DETRACTOR_MAX`` (6), and the rest.

    Raises
    ------
    ValueError
        If an answer is not a whole number or a count is negative or not whole.

    Examples
    --------
    >>> nps_groups({10: 30, 9: 20, 8: 25, 7: 5, 3: 20})
    (50, 30, 20)
    """
    promoters = passives = detractors = 0
    for value, count in counts_by_value.items():
        count = check_count(count, f"count of answer {value!r}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"answers must be whole numbers, got {value!r}")
        if value >= PROMOTER_MIN:
            promoters += count
        elif value <= DETRACTOR_MAX:
            detractors += count
        else:
            passives += count
    return promoters, passives, detractors


def nps(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> NPS:
    """Net Promoter Score with an adjusted-Wald confidence interval.

    Parameters
    ----------
    promoters, passives, detractors : int
        Numbers of responses scoring 9–10, 7–8 and 0–6 on the likelihood-to-recommend question.
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    NPS
        ``score``, ``low``, ``high`` and ``se`` are ``None`` when there are no responses.

    Raises
    ------
    ValueError
        If a count is negative or not whole, or ``confidence`` is outside (0, 1).

    Examples
    --------
    50 promoters, 30 passives, 20 detractors: NPS 30. Adjusted: n = 103,
    p_p = 50.75/103, p_d = 20.75/103, NPS_adj = 29.13, se = 7.69, so 95 % CI 14.05 to 44.20.

    >>> r = nps(50, 30, 20)
    >>> r.score, round(r.low, 2), round(r.high, 2), round(r.se, 2)
    (30.0, 14.05, 44.2, 7.69)
    """
    promoters = check_count(promoters, "promoters")
    passives = check_count(passives, "passives")
    detractors = check_count(detractors, "detractors")
    confidence = check_confidence(confidence)
    n = promoters + passives + detractors
    if n == 0:
        return NPS(None, None, None, 0, 0, 0, 0, None)
    z = float(norm_ppf(0.5 + confidence / 2.0))
    adjusted, variance = _adjusted(promoters, detractors, n)
    se = math.sqrt(variance)
    return NPS(
        score=100.0 * (promoters - detractors) / n,
        low=_clip(100.0 * (adjusted - z * se), 100.0),
        high=_clip(100.0 * (adjusted + z * se), 100.0),
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        se=100.0 * se,
    )


@dataclass(frozen=True)
class NPSDifference:
    """Change in NPS between two independent samples (later minus earlier).

    Attributes
    ----------
    difference : float or None
        score(b) − score(a) of the plain NPS, on the −200..200 scale; ``None`` if either
        period has no responses (the same holds for every field below).
    low, high : float or None
        Adjusted-Wald confidence limits for the difference, centred on the difference of the
        *adjusted* scores, clipped to [−200, 200].
    se : float or None
        sqrt(var_adj(a) + var_adj(b)) on the −100..100 scale (so ×100).
    z : float or None
        (adjusted score(b) − adjusted score(a)) / se.
    p_value : float or None
        Two-sided normal p-value of ``z``.
    """

    difference: float | None
    low: float | None
    high: float | None
    se: float | None
    z: float | None
    p_value: float | None


def _checked_triple(counts: Sequence[int], name: str) -> tuple[int, int, int]:
    if isinstance(counts, (str, bytes)) or not isinstance(counts, Sequence) or len(counts) != 3:
        raise ValueError(f"{name} must be (promoters, passives, detractors), got {counts!r}")
    labels = ("promoters", "passives", "detractors")
    promoters, passives, detractors = (
        check_count(count, f"{name} {label}") for count, label in zip(counts, labels, strict=False)
    )
    return promoters, passives, detractors


def nps_difference(
    a: tuple[int, int, int], b: tuple[int, int, int], confidence: float = 0.95
) -> NPSDifference:
    """Difference of two Net Promoter Scores, b − a, with adjusted-Wald interval and z test.

    Parameters
    ----------
    a, b : tuple[int, int, int]
        (promoters, passives, detractors) of the earlier period ``a`` and the later period ``b``.
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    NPSDifference
        All fields ``None`` when either period has no responses.

    Raises
    ------
    ValueError
        If ``a`` or ``b`` is not three counts, a count is negative or not whole, or
        ``confidence`` is outside (0, 1).

    Examples
    --------
    NPS 30 (50/30/20) then 10 (40/30/30), n = 100 each:

    >>> d = nps_difference((50, 30, 20), (40, 30, 30))
    >>> d.difference, round(d.z, 3), round(d.p_value, 4)
    (-20.0, -1.732, 0.0832)
    """
    promoters_a, passives_a, detractors_a = _checked_triple(a, "a")
    promoters_b, passives_b, detractors_b = _checked_triple(b, "b")
    confidence = check_confidence(confidence)
    n_a = promoters_a + passives_a + detractors_a
    n_b = promoters_b + passives_b + detractors_b
    if n_a == 0 or n_b == 0:
        return NPSDifference(None, None, None, None, None, None)
    adjusted_a, variance_a = _adjusted(promoters_a, detractors_a, n_a)
    adjusted_b, variance_b = _adjusted(promoters_b, detractors_b, n_b)
    se = math.sqrt(variance_a + variance_b)
    adjusted_difference = adjusted_b - adjusted_a
    z_crit = float(norm_ppf(0.5 + confidence / 2.0))
    z = adjusted_difference / se
    difference = 100.0 * ((promoters_b - detractors_b) / n_b - (promoters_a - detractors_a) / n_a)
    return NPSDifference(
        difference=difference,
        low=_clip(100.0 * (adjusted_difference - z_crit * se), 200.0),
        high=_clip(100.0 * (adjusted_difference + z_crit * se), 200.0),
        se=100.0 * se,
        z=z,
        p_value=float(2.0 * norm_sf(abs(z))),
    )
