"""Which words set one group of texts apart: weighted log-odds with a Dirichlet prior ("Fightin' Words").

Monroe, Colaresi and Quinn (2008) estimate, for each word w and group i, the log-odds of w in i against
all the groups together, from counts smoothed by a Dirichlet prior α, and divide it by its standard error
so that frequent and rare words are judged on one scale (their eqs. 15, 18 and 21; one topic, so no k):

    ω_wi = (y_wi + α_w) / (n_i + α_0 − y_wi − α_w)        the odds of w in group i
    ω_w  = (y_w + α'_w) / (N + α'_0 − y_w − α'_w)         the odds of w overall
    δ_wi = log ω_wi − log ω_w
    σ²   = 1 / (y_wi + α_w) + 1 / (y_w + α'_w)
    z_wi = δ_wi / σ

As R's tidylo (`bind_log_odds`) computes them, the prior is added to the counts first (pseudo-counts), and
the overall odds use the pseudo-counts' totals. The informative prior is the empirical-Bayes one the
paper recommends and tidylo uses by default: each word's count over every group (α_w = y_w); the
uninformative prior is α_w = 1.

Texts become counts with :func:`term_counts`: every word and every two-word phrase, lower-cased, a word
being a run of Unicode letters or digits (so French, German, Spanish and Arabic comments are split as
English ones are), a phrase two words with nothing but spaces, an apostrophe or a hyphen between them. No
stop words are removed: Hearken has no list of them, and the prior already keeps words said about as
often in both periods ("the", "le", "und") from standing out.

A z-score is what Hearken shows, and only where it clears a threshold corrected for the number of words
tested (Bonferroni: |z| above the normal quantile of 1 − 0.05 / (2m)): with hundreds of words some clear
1.96 by chance alone.

References
----------
Monroe BL, Colaresi MP, Quinn KM (2008). Fightin' Words: lexical feature selection and evaluation for
    identifying the content of political conflict. Political Analysis 16:372-403.
Schnoebelen T, Silge J, Hayes A (2020). tidylo: Weighted Tidy Log Odds Ratio. R package.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from analysis._checks import check_count, check_probability_open
from analysis._distributions import norm_isf

__all__ = ["TermComparison", "TermOdds", "distinctive_terms", "log_odds_difference", "term_counts",
           "weighted_log_odds"]

PRIORS = ("informative", "uninformative")
# A phrase never spans a full stop, comma or any other mark but an apostrophe or a hyphen ("wait-time",
# "l'attente"): those end a clause, and "slow. Queue" is not a phrase.
_CLAUSE_BREAK = re.compile(r"[^\w\s'’\-]+|_")
_WORD = re.compile(r"[^\W_]+")


def term_counts(texts: Iterable[str]) -> Counter[str]:
    """How often each word and two-word phrase occurs in `texts`, the counts the functions below compare.

    Words are lower-cased runs of Unicode letters and digits; a phrase is two neighbouring words of one
    clause, joined by a space. Every occurrence counts. No stop words are removed.

    Examples
    --------
    >>> sorted(term_counts(["Long queue, long wait.", "L'attente était longue"]).items())[:6]
    [('attente', 1), ('attente était', 1), ('l', 1), ('l attente', 1), ('long', 2), ('long queue', 1)]
    """
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            raise ValueError(f"texts must be strings, got {type(text).__name__}")
        for clause in _CLAUSE_BREAK.split(text.lower()):
            words = _WORD.findall(clause)
            counts.update(words)
            counts.update(f"{first} {second}" for first, second in zip(words, words[1:], strict=False))
    return counts


@dataclass(frozen=True)
class TermOdds:
    """One word in one group.

    Attributes
    ----------
    group, term : str
        The group (a period, a segment) and the word or phrase.
    count : int
        How often the term occurs in the group.
    log_odds : float
        δ: the posterior log-odds of the term in the group against all groups together.
    z : float
        δ divided by its standard error (tidylo's ``log_odds_weighted``).
    """

    group: str
    term: str
    count: int
    log_odds: float
    z: float


def weighted_log_odds(counts: Mapping[str, Mapping[str, int]], *,
                      prior: str = "informative") -> tuple[TermOdds, ...]:
    """Weighted log-odds of every term in every group, as R's tidylo ``bind_log_odds``.

    Parameters
    ----------
    counts : mapping of group → (mapping of term → count)
        At least two groups; a term missing from a group counts 0 there (tidylo needs a row for every
        pair; here absent means 0, and pairs absent everywhere are not reported).
    prior : {"informative", "uninformative"}
        The empirical-Bayes prior α_w = the term's count over all groups (tidylo's default), or α_w = 1.

    Returns
    -------
    tuple of TermOdds
        One per (group, term) pair with a count in ``counts``, in the order given.

    Raises
    ------
    ValueError
        For fewer than two groups, a negative or non-whole count, an unknown prior, or no words at all.

    Examples
    --------
    tidylo's example: how characteristic each number of gears is of each engine shape in mtcars.

    >>> gears = {"0": {"3": 12, "4": 2, "5": 4}, "1": {"3": 3, "4": 10, "5": 1}}
    >>> [round(t.z, 7) for t in weighted_log_odds(gears)]
    [1.1728347, -1.3767516, 0.4033125, -1.1354777, 1.5661168, -0.436234]
    """
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {', '.join(PRIORS)}, got {prior!r}")
    if len(counts) < 2:
        raise ValueError(f"counts needs at least two groups to compare, got {len(counts)}")
    checked = {str(group): {str(term): check_count(n, f"counts[{group!r}][{term!r}]") for term, n in terms.items()}
               for group, terms in counts.items()}
    terms = list(dict.fromkeys(term for group in checked.values() for term in group))
    totals = {term: sum(group.get(term, 0) for group in checked.values()) for term in terms}
    if not any(totals.values()):
        raise ValueError("counts holds no words")

    def alpha(term: str) -> float:
        return totals[term] if prior == "informative" else 1

    # Pseudo-counts for every pair (absent pairs too: they are part of every total, as tidylo's rows are).
    pseudo = {group: {term: found.get(term, 0) + alpha(term) for term in terms} for group, found in checked.items()}
    word_totals = {term: sum(pseudo[group][term] for group in pseudo) for term in terms}
    group_totals = {group: sum(values.values()) for group, values in pseudo.items()}
    everything = sum(group_totals.values())
    results = []
    for group, found in checked.items():
        for term, count in found.items():
            y_wi, y_w, n_i = pseudo[group][term], word_totals[term], group_totals[group]
            delta = math.log(y_wi / (n_i - y_wi)) - math.log(y_w / (everything - y_w))
            results.append(TermOdds(group, term, count, delta, delta / math.sqrt(1 / y_wi + 1 / y_w)))
    return tuple(results)


def log_odds_difference(earlier: Mapping[str, int], later: Mapping[str, int], *,
                        background: Mapping[str, int] | None = None,
                        prior_weight: float = 100.0) -> tuple[TermOdds, ...]:
    """Log-odds of each term in `later` against `earlier`, with an informative Dirichlet prior.

    The paper's comparison of two groups (eqs. 16 and 20): with α_w = α_0 · π_w, π_w the term's share of
    the background (by default the two periods together) and α_0 = ``prior_weight``,

        δ_w = log[(y_w^l + α_w) / (n^l + α_0 − y_w^l − α_w)] − log[(y_w^e + α_w) / (n^e + α_0 − y_w^e − α_w)]
        z_w = δ_w / sqrt(1 / (y_w^l + α_w) + 1 / (y_w^e + α_w))

    The prior pulls rare terms toward the background, so a word said twice instead of once is not news;
    α_0 is how many words of evidence the prior is worth (100 by default: a few comments' worth).

    Returns one TermOdds per term of either period (group "later"), in first-seen order.

    Examples
    --------
    >>> found = log_odds_difference({"queue": 10, "staff": 90}, {"queue": 60, "staff": 85})
    >>> [(t.term, round(t.z, 2)) for t in found]
    [('queue', 4.47), ('staff', -7.69)]
    """
    if isinstance(prior_weight, bool) or not isinstance(prior_weight, (int, float)) or not prior_weight > 0:
        raise ValueError(f"prior_weight must be a positive number, got {prior_weight!r}")
    earlier = {str(t): check_count(n, f"earlier[{t!r}]") for t, n in earlier.items()}
    later = {str(t): check_count(n, f"later[{t!r}]") for t, n in later.items()}
    terms = list(dict.fromkeys([*earlier, *later]))
    base = ({t: check_count(n, f"background[{t!r}]") for t, n in background.items()} if background is not None
            else {t: earlier.get(t, 0) + later.get(t, 0) for t in terms})
    base_total = sum(base.get(t, 0) for t in terms)
    if not base_total:
        raise ValueError("the background holds none of the terms compared")
    n_e, n_l = sum(earlier.values()), sum(later.values())
    results = []
    for term in terms:
        a_w = prior_weight * base.get(term, 0) / base_total
        if a_w == 0:  # a term the background never saw has no prior: it cannot be scored
            continue
        y_e, y_l = earlier.get(term, 0) + a_w, later.get(term, 0) + a_w
        delta = (math.log(y_l / (n_l + prior_weight - y_l)) - math.log(y_e / (n_e + prior_weight - y_e)))
        results.append(TermOdds("later", term, later.get(term, 0), delta, delta / math.sqrt(1 / y_l + 1 / y_e)))
    return tuple(results)


@dataclass(frozen=True)
class TermComparison:
    """The terms that set the later period apart from the earlier one.

    Attributes
    ----------
    rose, fell : tuple of TermOdds
        Terms whose z is above the threshold (said more than before), strongest first, and those below
        minus the threshold (said less).
    tested : int
        How many terms were tested: those said at least ``min_count`` times in the two periods together.
    threshold : float or None
        The |z| a term must exceed: the normal quantile of 1 − alpha / (2 × tested) (Bonferroni); None
        when nothing was tested.
    """

    rose: tuple[TermOdds, ...]
    fell: tuple[TermOdds, ...]
    tested: int
    threshold: float | None

    @property
    def nothing_stands_out(self) -> bool:
        return not self.rose and not self.fell


def distinctive_terms(earlier: Mapping[str, int], later: Mapping[str, int], *, alpha: float = 0.05,
                      min_count: int = 3, limit: int = 10, background: Mapping[str, int] | None = None,
                      prior_weight: float = 100.0) -> TermComparison:
    """Words said significantly more (or less) in the later period than in the earlier one.

    Each term is scored by :func:`log_odds_difference` and reported only when |z| exceeds the Bonferroni
    threshold for the number of terms tested, so that the chance of reporting any term by chance alone
    is at most ``alpha``; "no word stands out" is the answer otherwise.

    Parameters
    ----------
    earlier, later : mapping of term → count
        Term counts of the two periods' comments.
    alpha : float
        Family-wise error rate over the terms tested (default 0.05).
    min_count : int
        Terms said fewer times than this in both periods together are not tested (they cannot clear
        the threshold and would only raise it).
    limit : int
        At most this many terms each way.
    background, prior_weight
        As :func:`log_odds_difference`.

    Examples
    --------
    >>> before = {"friendly": 120, "queue": 10, "staff": 90, "wait": 30, "price": 40}
    >>> after = {"friendly": 100, "queue": 60, "staff": 85, "wait": 45, "price": 12}
    >>> found = distinctive_terms(before, after)
    >>> [t.term for t in found.rose], [t.term for t in found.fell], found.tested, round(found.threshold, 3)
    (['queue'], ['price'], 5, 2.576)
    """
    alpha = check_probability_open(alpha, "alpha")
    min_count = max(check_count(min_count, "min_count"), 1)
    kept = [t for t in dict.fromkeys([*earlier, *later]) if earlier.get(t, 0) + later.get(t, 0) >= min_count]
    if not kept:
        return TermComparison((), (), 0, None)
    scored = log_odds_difference({t: earlier.get(t, 0) for t in kept}, {t: later.get(t, 0) for t in kept},
                                 background=background, prior_weight=prior_weight)
    threshold = norm_isf(alpha / (2 * len(kept)))
    rose = sorted((t for t in scored if t.z > threshold), key=lambda t: (-t.z, t.term))[:limit]
    fell = sorted((t for t in scored if t.z < -threshold), key=lambda t: (t.z, t.term))[:limit]
    return TermComparison(tuple(rose), tuple(fell), len(kept), threshold)
