"""Weighted log-odds ("Fightin' Words", Monroe, Colaresi and Quinn 2008), pinned to R's tidylo and to the
paper's formulas computed in R."""
import pytest

from analysis import distinctive_terms, log_odds_difference, term_counts, weighted_log_odds

# tidylo's own example (reference/bind_log_odds.html): mtcars %>% count(vs, gear) %>% bind_log_odds(vs, gear, n)
GEARS = {"0": {"3": 12, "4": 2, "5": 4}, "1": {"3": 3, "4": 10, "5": 1}}


def test_the_empirical_bayes_prior_gives_tidylos_published_values():
    found = weighted_log_odds(GEARS)
    assert [(t.group, t.term, t.count) for t in found] == [
        ("0", "3", 12), ("0", "4", 2), ("0", "5", 4), ("1", "3", 3), ("1", "4", 10), ("1", "5", 1)]
    assert [t.z for t in found] == pytest.approx(
        [1.1728347, -1.3767516, 0.4033125, -1.1354777, 1.5661168, -0.4362340], abs=5e-8)


def test_the_uninformative_prior_gives_tidylos_published_values():
    # bind_log_odds(vs, gear, n, uninformative = TRUE, unweighted = TRUE)
    found = weighted_log_odds(GEARS, prior="uninformative")
    assert [t.log_odds for t in found] == pytest.approx(
        [0.6968169, -1.2527630, 0.3249262, -0.9673459, 1.1451323, -0.5268260], abs=5e-8)
    assert [t.z for t in found] == pytest.approx(
        [1.8912729, -1.9691060, 0.5549172, -1.7407107, 2.8421436, -0.6570674], abs=5e-8)


BEFORE = {"friendly": 120, "queue": 10, "staff": 90, "wait": 30, "price": 40}
AFTER = {"friendly": 100, "queue": 60, "staff": 85, "wait": 45, "price": 12}


def test_two_periods_follow_the_papers_equations_16_and_20():
    # In R: pi <- (a+b)/sum(a+b); aw <- 100*pi
    #       d <- log((a+aw)/(sum(a)+100-a-aw)) - log((b+aw)/(sum(b)+100-b-aw)); d/sqrt(1/(a+aw)+1/(b+aw))
    found = log_odds_difference(BEFORE, AFTER)
    assert [t.term for t in found] == list(BEFORE)
    assert [t.log_odds for t in found] == pytest.approx(
        [-0.2648897307, 1.3001333956, -0.1036833961, 0.3099224101, -0.9640752706], abs=1e-9)
    assert [t.z for t in found] == pytest.approx(
        [-2.2669565840, 5.3191634339, -0.7930506352, 1.5347842590, -3.6805064456], abs=1e-9)


def test_only_terms_beyond_the_bonferroni_threshold_stand_out():
    found = distinctive_terms(BEFORE, AFTER)
    assert found.threshold == pytest.approx(2.575829304, abs=1e-9)  # qnorm(1 - 0.05 / (2 * 5))
    assert [t.term for t in found.rose] == ["queue"] and [t.term for t in found.fell] == ["price"]
    # friendly's z of -2.27 would pass an uncorrected 1.96: with five words tested it does not.
    assert not found.nothing_stands_out


def test_rare_terms_are_not_tested_and_nothing_may_stand_out():
    found = distinctive_terms({"late": 1, "rude": 20, "kind": 21}, {"late": 1, "rude": 22, "kind": 19})
    assert found.tested == 2 and found.nothing_stands_out
    empty = distinctive_terms({}, {"x": 1})
    assert empty.tested == 0 and empty.threshold is None and empty.nothing_stands_out


def test_texts_become_words_and_phrases_in_every_language():
    counts = term_counts(["Long QUEUE, long wait.", "L'attente était longue", "Die Wartezeit war zu lang!",
                          "الانتظار طويل", "wait-time: 10 minutes"])
    assert counts["long"] == 2 and counts["queue"] == 1 and counts["long queue"] == 1
    assert "queue long" not in counts  # a comma ends the clause: no phrase across it
    assert counts["l attente"] == 1 and counts["était longue"] == 1 and counts["die wartezeit"] == 1
    assert counts["الانتظار طويل"] == 1 and counts["wait time"] == 1 and counts["10 minutes"] == 1
    assert counts["the"] == 0 and term_counts([]) == {}


@pytest.mark.parametrize("call, message", [
    (lambda: weighted_log_odds({"a": {"x": 1}}), "at least two groups"),
    (lambda: weighted_log_odds({"a": {"x": -1}, "b": {}}), "counts['a']['x']"),
    (lambda: weighted_log_odds(GEARS, prior="flat"), "prior must be one of"),
    (lambda: weighted_log_odds({"a": {}, "b": {}}), "no words"),
    (lambda: log_odds_difference(BEFORE, AFTER, prior_weight=0), "prior_weight"),
    (lambda: distinctive_terms(BEFORE, AFTER, alpha=1.5), "alpha"),
    (lambda: term_counts(["fine", None]), "texts must be strings"),
])
def test_bad_input_is_refused_by_name(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()
