"""Themes in comments (analysis.themes): how texts are read in any language, proposals that recover planted
themes, and matching a theme's terms."""
import pytest

from analysis import comment_terms, matcher, normalise_term, propose, words

WAITING = ["I waited forty minutes in the queue", "The queue was long and the wait endless",
           "Long wait on hold before anyone answered", "Waited in the queue for an hour",
           "Far too long a wait, the queue never moved", "On hold for ages, the wait was awful"]
STAFF = ["The agent was friendly and helpful", "Friendly agent, very helpful indeed",
         "Helpful staff and a friendly agent", "Such a friendly and helpful agent",
         "Staff were friendly, the agent was helpful", "Helpful, friendly staff throughout"]
FRENCH_WAITING = ["Temps d'attente beaucoup trop long au téléphone", "L'attente au téléphone était interminable",
                  "Trop d'attente, le téléphone sonnait dans le vide", "Une attente de quarante minutes au téléphone"]
FRENCH_STAFF = ["Conseillère aimable et compétente", "Un conseiller très aimable et compétent",
                "Personnel aimable, conseillère compétente", "Conseiller aimable qui a tout résolu"]
NOISE = ["Nothing to add", "All fine", "No comment", "Rien à ajouter"]


def corpus(*groups, times=3):
    return [text for _ in range(times) for group in groups for text in group]


def test_words_are_unicode_words_folded_without_function_words_or_single_letters():
    assert words("L'ATTENTE était TRÈS longue") == ["attente", "longue"]
    assert words("Die Wartezeit war zu lang") == ["wartezeit", "lang"]
    assert words("الانتظار طويل جدا في الفرع") == ["الانتظار", "طويل", "جدا", "الفرع"]
    assert words("ＷＡＩＴ 40 min, mp3 & wi_fi") == ["wait", "min", "mp3", "wi", "fi"]  # NFKC folds full-width letters
    assert comment_terms("the waiting time was long") == ["waiting", "time", "long", "waiting time", "time long"]


def test_a_persons_term_is_read_as_comments_are():
    assert normalise_term("  Waiting   TIME ") == "waiting time"
    assert normalise_term("Wait*") == "wait*"
    assert normalise_term("the of") == ""
    assert normalise_term("one two three four five") == "one two three four"


def test_two_planted_themes_are_recovered_with_their_terms_and_examples():
    texts = corpus(WAITING, STAFF, NOISE)
    proposals = propose(texts, themes=3)
    by_theme = {}
    for proposal in proposals:
        examples = {texts[i] for i in proposal.examples}
        if examples <= set(WAITING):
            by_theme["waiting"] = proposal
        elif examples <= set(STAFF):
            by_theme["staff"] = proposal
    assert set(by_theme) == {"waiting", "staff"}
    assert {"queue", "wait"} <= set(by_theme["waiting"].terms)
    assert {"friendly", "helpful", "agent"} <= set(by_theme["staff"].terms)
    for proposal in by_theme.values():
        assert len(proposal.examples) == 3 and len({texts[i] for i in proposal.examples}) == 3
        assert proposal.comments >= 12
    assert propose(texts, themes=3) == proposals  # the same comments always give the same proposals


def test_french_and_english_comments_give_themes_in_each_language():
    texts = corpus(WAITING, STAFF, FRENCH_WAITING, FRENCH_STAFF, NOISE)
    proposals = propose(texts, themes=5)
    terms = [set(p.terms) for p in proposals]
    assert any({"attente", "téléphone"} <= t for t in terms)
    assert any({"aimable"} <= t for t in terms)
    assert any({"queue", "wait"} <= t for t in terms)
    # A theme accepted with terms in both languages (two proposals merged) tags comments in either.
    mentions = matcher({"waiting time": ["wait*", "queue", "attente", "temps attente"], "staff": ["aimable"]})
    assert mentions("Temps d'attente trop long") == {"waiting time"}
    assert mentions("TRÈS aimable, mais l'attente…") == {"waiting time", "staff"}
    assert mentions("I waited an hour") == {"waiting time"}
    assert mentions("Nothing to add") == set()


def test_too_few_comments_propose_nothing():
    assert propose(WAITING + STAFF) == ()
    assert propose(["ok"] * 50) == ()
    with pytest.raises(ValueError):
        propose(WAITING, themes=1)


def test_a_term_matches_whole_words_in_order():
    mentions = matcher({"waiting time": ["waiting time"], "price": ["price", "expensive"], "slow": ["slow*"]})
    assert mentions("The waiting time was long") == {"waiting time"}
    assert mentions("Time spent waiting") == set()  # not in that order
    assert mentions("Priceless service") == set()  # not a whole word
    assert mentions("Too EXPENSIVE and slowly answered") == {"price", "slow"}
    assert not matcher({}) and matcher({"x": [""]})("anything") == set()
