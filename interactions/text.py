"""Counting text like X does (twitter-text, config v3: 280 weighted, URLs 23, emoji and CJK 2) — the server's
word, whatever the browser's ring said."""

from twitter_text import parse_tweet

TWEET_MAX_LENGTH = 280
DM_MAX_LENGTH = 10_000


class TextRejected(ValueError):
    """The text cannot be sent; the message says why in words an agent understands."""


def tweet_length(text: str) -> int:
    """X's weighted length of a tweet."""
    return parse_tweet(text or "").weightedLength


def validate_reply_text(text: str) -> None:
    if not (text or "").strip():
        raise TextRejected("Write something before sending.")
    length = tweet_length(text)
    if length > TWEET_MAX_LENGTH:
        over = length - TWEET_MAX_LENGTH
        raise TextRejected(f"This reply is {length} characters; X allows {TWEET_MAX_LENGTH}. Shorten it by {over}.")


def validate_dm_text(text: str, *, has_image: bool = False) -> None:
    if not (text or "").strip() and not has_image:
        raise TextRejected("Write something or attach an image before sending.")
    if len(text or "") > DM_MAX_LENGTH:
        raise TextRejected(f"This message is {len(text):,} characters; X allows {DM_MAX_LENGTH:,} in a DM.")
