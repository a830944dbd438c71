"""Hearken's statistics on counts: pure Python + numpy + scipy (no Flask, no SQLAlchemy, no I/O).

Every function takes counts (as produced by SQL ``GROUP BY``), validates them (``ValueError``
naming the bad value) and returns a frozen dataclass whose undefined fields are ``None`` when
there is too little data (e.g. n == 0).

scipy is imported by the functions that need it, at their first call, never at module level: it is
most of a process's memory (about 100 MB), and the web application imports this package in every
process — exporters, the dispatcher, the command line — though few of them compute a statistic
(tests/analysis/test_purity.py checks it).

One period
    ``wilson(successes, n, confidence=0.95) -> Interval``
        Wilson score interval for a proportion (:mod:`analysis.intervals`).
    ``share(counts_by_value, top_values, confidence=0.95) -> Share``
        Top-box / top-2-box share with its Wilson interval (:mod:`analysis.shares`).
    ``distribution(counts_by_value, scale_values) -> Distribution``
        Counts and proportions over the whole scale (:mod:`analysis.shares`).
    ``mean_score(counts_by_value, confidence=0.95) -> Mean``
        Mean rating with a Student-t interval (:mod:`analysis.shares`).
    ``mean_of_sums(n, total, squares, confidence=0.95) -> Mean``
        Mean of a number question's answers with a Student-t interval, from SQL's count, sum and sum
        of squares (:mod:`analysis.shares`).
    ``bounded_mean(counts_by_value, lowest, highest, confidence=0.95) -> BoundedMean``
        Mean of a bounded score (rating, NPS) with a logit-transformed interval that stays on the
        scale (:mod:`analysis.bounded`).
    ``nps(promoters, passives, detractors, confidence=0.95) -> NPS``
        Net Promoter Score with an adjusted-Wald interval (:mod:`analysis.nps`).
    ``nps_groups(counts_by_value) -> (promoters, passives, detractors)``
        The NPS groups from the counts of each answer 0–10: promoters 9–10, detractors 0–6, the one
        definition of them (:mod:`analysis.nps`).
    ``quartiles(counts_by_value) -> Quartiles``
        Five-number summary (R's type-7 quantiles) of measured answers, numbers or dates as day
        numbers (:mod:`analysis.quantiles`).
    ``histogram(counts_by_value, bins=10) -> list[(low, high, count)]``
        Equal-width bins of measured answers (:mod:`analysis.quantiles`).

Two periods
    ``share_difference(x1, n1, x2, n2, confidence=0.95) -> ShareDifference``
        p2 − p1 with Newcombe's hybrid score interval; N − 1 chi-square or Fisher's exact test
        (:mod:`analysis.comparison`).
    ``mean_difference(counts_a, counts_b, confidence=0.95) -> MeanDifference``
        mean(b) − mean(a) with Welch's t interval and test (:mod:`analysis.comparison`).
    ``welch(a, b, confidence=0.95) -> MeanDifference``
        The same from two ``Mean`` values (a number question's periods), as R's ``t.test(b, a)``
        (:mod:`analysis.comparison`).
    ``nps_difference(a, b, confidence=0.95) -> NPSDifference``
        NPS(b) − NPS(a) with an adjusted-Wald interval and z test (:mod:`analysis.nps`).
    ``mann_whitney(counts_a, counts_b, *, continuity=True) -> MannWhitney``
        Tie-corrected Mann-Whitney U and probability of superiority (:mod:`analysis.ordinal`).

Many periods
    ``cusum(successes, ns, p0, p1, h=None) -> Cusum``
        Binomial log-likelihood-ratio CUSUM (:mod:`analysis.drift`).
    ``p_chart(successes, ns, center=None) -> PChart``
        p-chart with 3-sigma limits per period's own n (:mod:`analysis.drift`).
    ``cochran_armitage(successes, ns, scores=None) -> TrendTest``
        Test for a monotone trend, as R's ``prop.trend.test`` (:mod:`analysis.trend`).
    ``departure_from_linearity(successes, ns, scores=None) -> Linearity``
        How far shares depart from that line: R's ``prop.test`` minus ``prop.trend.test``
        (:mod:`analysis.trend`).
    ``nps_trend(counts, scores=None, confidence=0.95) -> NPSTrend``
        Least-squares slope of NPS over periods (R's ``lm(score ~ period)`` on the responses) and its
        departure-from-linearity F test (:mod:`analysis.trend`).

Many tests
    ``benjamini_hochberg(p_values) -> tuple[float, ...]``
        Benjamini-Hochberg q-values, as R's ``p.adjust(method = "BH")``
        (:mod:`analysis.multiple_testing`).

Detection
    ``detect(series_list, *, min_n=30, window=12, fdr=0.05, planning_drop=0.10) -> Detection``
        Change, trend and segment-gap tests over many series with one Benjamini-Hochberg family
        (:mod:`analysis.detection`).

Planning
    ``sample_size_two_shares(p1, p2, alpha=0.05, power=0.8) -> int``
        Responses per period to detect p1 → p2, as R's ``power.prop.test`` (:mod:`analysis.power`).
    ``detectable_change(p1, n, alpha=0.05, power=0.8, direction="down") -> float | None``
        Smallest change detectable with n per period (:mod:`analysis.power`).
    ``sample_size_nps(promoters, detractors, drop=10.0, alpha=0.05, power=0.8) -> int``
        Responses per period to detect an NPS drop of ``drop`` points, from the trinomial variance
        (:mod:`analysis.power`).
    ``sample_size_two_means(sd, drop, alpha=0.05, power=0.8) -> int``
        Responses per period to detect a mean's drop of ``drop`` (:mod:`analysis.power`).

Texts
    ``weighted_log_odds(counts, prior="informative") -> tuple[TermOdds, ...]``
        Weighted log-odds of each word in each group against all groups, as R's tidylo
        ``bind_log_odds`` (:mod:`analysis.log_odds`).
    ``log_odds_difference(earlier, later, background=None, prior_weight=100) -> tuple[TermOdds, ...]``
        Log-odds of each word in one period against another with an informative Dirichlet prior
        (Monroe, Colaresi and Quinn 2008, eqs. 16 and 20) (:mod:`analysis.log_odds`).
    ``distinctive_terms(earlier, later, alpha=0.05, min_count=3) -> TermComparison``
        The words said significantly more or less, beyond a Bonferroni threshold for the number of
        words tested (:mod:`analysis.log_odds`).
    ``term_counts(texts) -> Counter``
        Each lower-cased word (Unicode letters and digits) and two-word phrase of the texts, counted, in
        any language; no stop words removed (:mod:`analysis.log_odds`).
    ``sentiment(text, language="en") -> Sentiment | None``
        VADER's sentiment of an English comment; None ("not analysed") for any other language
        (:mod:`analysis.sentiment`).
    ``propose(texts, themes=8, top_terms=8, examples=3) -> tuple[Proposal, ...]``
        Themes of the comments: NMF topics of their TF-IDF over words and word pairs, in any language
        written with spaces (:mod:`analysis.themes`).
    ``matcher(themes) -> Callable[[str], set[str]]``
        The themes (name → terms) a comment mentions, by their terms as whole words (:mod:`analysis.themes`).
    ``words(text)``, ``comment_terms(text)``, ``normalise_term(text)``
        How themes read a text: its folded words without function words; with word pairs; a person's
        term as it is matched (:mod:`analysis.themes`).

Drivers
    ``key_drivers(overall, attributes, bootstrap=1000, confidence=0.95) -> KeyDrivers``
        How much each attribute rating explains of the overall rating: LMG, the Shapley value of R², as
        R's relaimpo computes it, with bootstrap intervals (:mod:`analysis.drivers`).
"""
from analysis.bounded import BoundedMean, bounded_mean
from analysis.comparison import MeanDifference, ShareDifference, mean_difference, share_difference, welch
from analysis.detection import Detection, Finding, PeriodCounts, Series, Shortfall, YearOverYear, detect
from analysis.drift import Cusum, PChart, cusum, p_chart
from analysis.drivers import Driver, KeyDrivers, key_drivers
from analysis.intervals import Interval, wilson
from analysis.log_odds import (
    TermComparison,
    TermOdds,
    distinctive_terms,
    log_odds_difference,
    term_counts,
    weighted_log_odds,
)
from analysis.multiple_testing import benjamini_hochberg
from analysis.nps import NPS, NPSDifference, nps, nps_difference, nps_groups
from analysis.ordinal import MannWhitney, mann_whitney
from analysis.power import detectable_change, sample_size_nps, sample_size_two_means, sample_size_two_shares
from analysis.quantiles import Quartiles, histogram, quartiles
from analysis.sentiment import Sentiment, sentiment
from analysis.shares import Distribution, Mean, Share, distribution, mean_of_sums, mean_score, share
from analysis.themes import Proposal, comment_terms, matcher, normalise_term, propose, words
from analysis.trend import Linearity, NPSTrend, TrendTest, cochran_armitage, departure_from_linearity, nps_trend

__all__ = [
    "BoundedMean",
    "Cusum",
    "Detection",
    "Distribution",
    "Driver",
    "Finding",
    "Interval",
    "KeyDrivers",
    "Linearity",
    "MannWhitney",
    "Mean",
    "MeanDifference",
    "NPS",
    "NPSDifference",
    "Quartiles",
    "NPSTrend",
    "PChart",
    "PeriodCounts",
    "Proposal",
    "Sentiment",
    "Series",
    "Share",
    "ShareDifference",
    "Shortfall",
    "TermComparison",
    "TermOdds",
    "TrendTest",
    "YearOverYear",
    "benjamini_hochberg",
    "bounded_mean",
    "cochran_armitage",
    "comment_terms",
    "cusum",
    "departure_from_linearity",
    "detect",
    "detectable_change",
    "distinctive_terms",
    "distribution",
    "key_drivers",
    "log_odds_difference",
    "histogram",
    "mann_whitney",
    "matcher",
    "mean_difference",
    "mean_of_sums",
    "mean_score",
    "normalise_term",
    "nps",
    "nps_difference",
    "nps_groups",
    "nps_trend",
    "p_chart",
    "propose",
    "sample_size_nps",
    "sample_size_two_means",
    "sample_size_two_shares",
    "sentiment",
    "quartiles",
    "share",
    "share_difference",
    "term_counts",
    "weighted_log_odds",
    "welch",
    "wilson",
    "words",
]
