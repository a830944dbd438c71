"""Sentiment, pinned to the compound scores the vaderSentiment README publishes for its examples."""
import pytest

from analysis import sentiment


@pytest.mark.parametrize("text, compound, label", [
    ("VADER is smart, handsome, and funny.", 0.8316, "positive"),
    ("VADER is not smart, handsome, nor funny.", -0.7424, "negative"),
    ("The book was good.", 0.4404, "positive"),
    ("At least it isn't a horrible book.", 0.431, "positive"),
    ("A really bad, horrible book.", -0.8211, "negative"),
    ("The plot was good, but the characters are uncompelling and the dialog is not great.", -0.7042, "negative"),
    ("Today SUX!", -0.5461, "negative"),
    ("The parcel arrived on Tuesday.", 0.0, "neutral"),
])
def test_english_comments_score_as_the_vader_authors_publish(text, compound, label):
    found = sentiment(text, "en-GB")
    assert found.compound == pytest.approx(compound, abs=1e-4) and found.label == label


@pytest.mark.parametrize("text, language", [("Le service était excellent.", "fr"), ("Sehr gut!", "de"),
                                            ("   ", "en"), ("Great", "")])
def test_other_languages_and_empty_comments_are_not_analysed(text, language):
    assert sentiment(text, language) is None


def test_a_non_text_is_refused():
    with pytest.raises(ValueError, match="text must be a string"):
        sentiment(None)
