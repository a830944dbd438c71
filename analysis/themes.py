"""Themes in free-text comments: proposing them (topics found by non-negative matrix factorisation of the
comments' TF-IDF) and finding the comments that mention a theme (its terms, matched as words).

Words are Unicode word characters, so every language written with spaces between words is read alike
("délai", "Wartezeit", "انتظار"); each starts with a letter, single letters are dropped (French "l'attente"
gives "attente"), and case and compatibility forms are folded (NFKC, then casefold). Function words of the
languages Hearken ships (English, French, German, Spanish, Arabic) are left out, and so is any word in more
than half of the comments (`MAX_SHARE`), which is how a word of another language that says nothing ("the"
of a language not listed, or "service" in a service survey) is left out too. A comment's terms are its
words and each pair of neighbouring words (uni- and bigrams), so "waiting time" is a term of its own.
Languages written without spaces (Chinese, Japanese, Thai) give one "word" per run of characters: they
are read, but poorly.

Proposals are the topics of an NMF of the comments' TF-IDF (Lee and Seung 1999; scikit-learn's coordinate
descent solver with the deterministic NNDSVDa start of Boutsidis and Gallopoulos 2008, so the same
comments always give the same proposals). NMF rather than k-means: a short comment often speaks of two
things ("friendly, but I waited an hour"), which NMF expresses as two weights where k-means would force
one cluster; and a topic is its own list of terms by weight, which is what a manager reads. Each proposal
has its strongest terms, how many comments it is the strongest topic of, and the three comments it
weighs most in.

A comment mentions a theme when one of the theme's terms occurs in it as whole words in that order
("waiting time" in "the waiting time was long"); a term ending in ``*`` matches any word beginning so
("wait*": wait, waited, waiting). Matching needs no model, so new comments are tagged as they arrive.

References
----------
Lee DD, Seung HS (1999). Learning the parts of objects by non-negative matrix factorization. Nature 401:788-791.
Boutsidis C, Gallopoulos E (2008). SVD based initialization: a head start for nonnegative matrix
    factorization. Pattern Recognition 41:1350-1362.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Proposal", "comment_terms", "matcher", "normalise_term", "propose", "words"]

WORD = re.compile(r"[^\W\d_][^\W_]*")  # a letter, then letters or digits: "wifi", "4g" is not a word, "mp3" is
MAX_SHARE = 0.5  # a term in more than this share of the comments says nothing about any of them
MIN_COMMENTS = 20  # fewer comments than this have no themes to find
MAX_TERM_WORDS = 4
RANDOM_STATE = 0

# Function words of the languages Hearken ships (customer pages in English, French, German, Spanish and
# Arabic). Short on purpose: the corpus's own frequencies (MAX_SHARE) catch the rest.
FUNCTION_WORDS = {
    "en": """a about after again all also am an and any are as at be been before being but by can could did do
             does doing don done for from had has have having he her here him his how i if in into is it its just
             me more most my no nor not now of off on once only or other our out over own same she so some such
             than that the their them then there these they this those through to too under until up very was we
             were what when where which while who why will with would you your yours im ive dont didnt wasnt got
             get""",
    "fr": """au aux avec ce ces cette dans de des du elle en est et été être il ils je la le les leur lui ma mais
             me mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi ton
             tu un une vos votre vous était avait ai très plus bien fait ça cela comme aussi""",
    "de": """aber als am an auch auf aus bei bin bis das dass dem den der des die doch du ein eine einem einen
             einer er es für hat hatte ich ihr im in ist ja kein mit nach nicht noch nur oder sehr sich sie sind so
             um und uns von war was wie wir zu zum zur""",
    "es": """al como con de del el en es esta está fue ha la las le lo los me mi muy no nos para pero por que se
             su sus un una y ya""",
    "ar": "في من على إلى عن مع هذا هذه ذلك التي الذي كان لم لا ما و أو ثم قد",
}
STOP_WORDS = frozenset(word for listed in FUNCTION_WORDS.values() for word in listed.split())


def words(text: str) -> list[str]:
    """The words of `text` as themes compare them: folded, without single letters and function words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in WORD.findall(folded) if len(w) > 1 and w not in STOP_WORDS]


def comment_terms(text: str) -> list[str]:
    """A comment's terms: its words and each pair of neighbouring words ("waiting", "time", "waiting time")."""
    found = words(text)
    return found + [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]


def normalise_term(text: str) -> str:
    """A term as typed by a person, as it is matched: its words, folded, one space between them (at most
    MAX_TERM_WORDS); a trailing ``*`` (any ending) is kept. "" when no word is left."""
    star = text.strip().endswith("*")
    found = words(text)[:MAX_TERM_WORDS]
    return " ".join(found) + ("*" if star and found else "")


def matcher(themes: Mapping[str, Sequence[str]]) -> Callable[[str], set[str]]:
    """A function giving the names of the `themes` (name → terms, as normalise_term gives them) a comment
    mentions. Built once, then called per comment: no model, a set lookup per term length."""
    return _Matcher(themes)


class _Matcher:

    def __init__(self, themes: Mapping[str, Sequence[str]]):
        self.exact: dict[tuple[str, ...], set[str]] = {}
        self.prefixes: list[tuple[tuple[str, ...], str, str]] = []  # (words before, prefix of the last, theme)
        for theme, terms in themes.items():
            for term in terms:
                parts = tuple(term.rstrip("*").split())
                if not parts:
                    continue
                if term.endswith("*"):
                    self.prefixes.append((parts[:-1], parts[-1], theme))
                else:
                    self.exact.setdefault(parts, set()).add(theme)
        self.lengths = sorted({len(parts) for parts in self.exact})

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def __call__(self, text: str) -> set[str]:
        """The themes `text` mentions."""
        found: set[str] = set()
        if not self:
            return found
        tokens = words(text)
        for n in self.lengths:
            for i in range(len(tokens) - n + 1):
                if (themes := self.exact.get(tuple(tokens[i:i + n]))) is not None:
                    found |= themes
        for before, prefix, theme in self.prefixes:
            if theme in found:
                continue
            n = len(before)
            if any(tokens[i + n].startswith(prefix) and tuple(tokens[i:i + n]) == before
                   for i in range(len(tokens) - n)):
                found.add(theme)
        return found


@dataclass(frozen=True)
class Proposal:
    """One theme found in the comments.

    Attributes
    ----------
    name : str
        A suggested name: its strongest term, or the strongest phrase among its first three terms that
        holds it ("waiting time" rather than "waiting").
    terms : tuple of str
        Its strongest terms, strongest first.
    comments : int
        How many comments it is the strongest theme of.
    examples : tuple of int
        The positions (in the texts given) of up to three different comments it weighs most in.
    """

    name: str
    terms: tuple[str, ...]
    comments: int
    examples: tuple[int, ...]


def propose(texts: Sequence[str], *, themes: int = 8, top_terms: int = 8, examples: int = 3,
            random_state: int = RANDOM_STATE) -> tuple[Proposal, ...]:
    """Up to `themes` themes of the comments `texts`, the most common first; () when there are fewer than
    MIN_COMMENTS comments with words, or too few shared terms to tell two themes apart.

    TF-IDF of each comment's terms (sublinear term frequency, smoothed IDF, unit length), keeping the
    terms of at least two comments and at most MAX_SHARE of them; then an NMF with `themes` topics. A
    topic that is the strongest of fewer than two comments (or of none) is no proposal.
    """
    if themes < 2 or top_terms < 1 or examples < 0:
        raise ValueError("themes must be at least 2, top_terms at least 1 and examples at least 0")
    kept = [i for i, text in enumerate(texts) if words(text)]
    if len(kept) < MIN_COMMENTS:
        return ()
    # Imported here, at the first proposal: scikit-learn (and scipy under it) is large, and every process
    # imports this package (tests/analysis/test_purity.py).
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=comment_terms, min_df=2, max_df=MAX_SHARE, sublinear_tf=True,
                                 dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform([texts[i] for i in kept])
    except ValueError:  # no term in two comments and at most half of them
        return ()
    vocabulary = vectorizer.get_feature_names_out()
    k = min(themes, len(vocabulary) // 2, len(kept) // 5)
    if k < 2:
        return ()
    model = NMF(n_components=k, init="nndsvda", solver="cd", max_iter=400, tol=1e-4, random_state=random_state)
    weights = model.fit_transform(matrix)  # comments × topics
    strongest = weights.argmax(axis=1)
    strongest[weights.max(axis=1) <= 0] = -1  # a comment none of the topics explains
    proposals = []
    for topic, row in enumerate(model.components_):
        size = int((strongest == topic).sum())
        if size < 2:
            continue
        order = np.argsort(-row, kind="stable")
        terms = tuple(str(vocabulary[j]) for j in order[:top_terms] if row[j] > 0)
        if not terms:
            continue
        mine = np.flatnonzero(strongest == topic)
        ranked = [kept[j] for j in mine[np.argsort(-weights[mine, topic], kind="stable")]]
        proposals.append(Proposal(_name(terms), terms, size, _different(texts, ranked, examples)))
    return tuple(sorted(proposals, key=lambda p: (-p.comments, p.terms)))


def _different(texts: Sequence[str], ranked: Sequence[int], wanted: int) -> tuple[int, ...]:
    """The first `wanted` of the positions `ranked` whose texts differ (in more than case and spacing)."""
    chosen: list[int] = []
    seen: set[str] = set()
    for i in ranked:
        if len(chosen) == wanted:
            break
        text = " ".join(texts[i].split()).casefold()
        if text not in seen:
            seen.add(text)
            chosen.append(i)
    return tuple(chosen)


def _name(terms: tuple[str, ...]) -> str:
    first = terms[0]
    if " " not in first:
        for term in terms[1:3]:
            if first in term.split():
                return term
    return first
