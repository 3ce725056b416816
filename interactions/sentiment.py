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
ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f92c\U0001f624\U0001f4a2\U0001f44e\U0001f92e]")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """Compound score; each complaint phrase or angry emoji pulls it down by 0.35 (floor -1)."""
    score = _analyzer().polarity_scores(text or "")["compound"]
    penalty = 0.35 * (len(COMPLAINT.findall(text or "")) + len(ANGRY_EMOJI.findall(text or "")))
    return round(max(-1.0, min(score, 0.2) - penalty if penalty else score), 3)
