"""The sentiment of an English comment: VADER (Hutto and Gilbert 2014), through the `vaderSentiment` package.

VADER is a lexicon of about 7 500 words, emoticons and slang rated by people, with rules for what changes a
word's weight in a sentence ("not good", "VERY good!!!", "good, but …"). It was built for short informal
texts such as reviews and comments, needs no training and gives the same answer every time. The package
ships its lexicon, so nothing is downloaded at run time. Its compound score runs from −1 (most negative) to
+1; the authors' thresholds call a text positive at 0.05 or more, negative at −0.05 or less, and neutral in
between.

VADER reads English only. A comment in another language is "not analysed" (``None``), never guessed:
a translated lexicon scores differently, and a wrong label is worse than none.

References
----------
Hutto CJ, Gilbert E (2014). VADER: a parsimonious rule-based model for sentiment analysis of social media
    text. Proceedings of ICWSM-14.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

__all__ = ["LABELS", "Sentiment", "sentiment"]

LABELS = ("negative", "neutral", "positive")
THRESHOLD = 0.05  # the authors' cut-off for the compound score


@dataclass(frozen=True)
class Sentiment:
    """A comment's sentiment.

    Attributes
    ----------
    compound : float
        VADER's normalised score, from −1 (most negative) to +1 (most positive).
    label : str
        "positive" (compound ≥ 0.05), "negative" (≤ −0.05) or "neutral".
    """

    compound: float
    label: str


@cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()  # reads the lexicon once per process


def sentiment(text: str, language: str = "en") -> Sentiment | None:
    """VADER's sentiment of `text`, or None when it is not English (or holds no words).

    Parameters
    ----------
    text : str
        One comment.
    language : str
        Its language as a BCP 47 tag ("en", "en-GB", "fr"); only English is analysed.

    Examples
    --------
    The package's own examples:

    >>> sentiment("VADER is smart, handsome, and funny.")
    Sentiment(compound=0.8316, label='positive')
    >>> sentiment("VADER is not smart, handsome, nor funny.").label
    'negative'
    >>> sentiment("Le service était excellent.", "fr") is None
    True
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {text!r}")
    if not isinstance(language, str) or language.lower().split("-")[0] != "en" or not text.strip():
        return None
    compound = float(_analyzer().polarity_scores(text)["compound"])
    label = "positive" if compound >= THRESHOLD else "negative" if compound <= -THRESHOLD else "neutral"
    return Sentiment(compound, label)
