"""Sentiment of customer text, -1 … +1: VADER plus complaint rules VADER misses ("my order never arrived 😡")."""

import re
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

COMPLAINT = re.compile(
    r"\b(never (arrived|came|received|got)|still (waiting|no|not)|not (working|received|arrived)|doesn'?t work|"
    r"broken|refund|cancel+(ed|ing)?|worst|useless|scam|rip[- ]?off|ridiculous|unacceptable|lost my|charged twice|"
    r"no one (answers|replies)|waste of)\b",
    re.IGNORECASE,
)
# The bands every screen, report and routing rule speaks of: negative at or below -0.5, positive at or above 0.3.
NEGATIVE_AT_OR_BELOW = -0.5
POSITIVE_AT_OR_ABOVE = 0.3
# What an agent's pick in the Conversation tab stores: well inside its band.
BAND_SCORES = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}
ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f92c\U0001f624\U0001f4a2\U0001f44e\U0001f92e]")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """Compound score; each complaint phrase or angry emoji pulls it down by 0.35 (floor -1)."""
    score = _analyzer().polarity_scores(text or "")["compound"]
    penalty = 0.35 * (len(COMPLAINT.findall(text or "")) + len(ANGRY_EMOJI.findall(text or "")))
    return round(max(-1.0, min(score, 0.2) - penalty if penalty else score), 3)


def sentiment_band(score: float | None) -> str:
    """ "negative", "neutral" or "positive"; no score yet is neutral."""
    if score is not None and score <= NEGATIVE_AT_OR_BELOW:
        return "negative"
    if score is not None and score >= POSITIVE_AT_OR_ABOVE:
        return "positive"
    return "neutral"
