"""Counting text like X does (twitter-text, config v3: 280 weighted, URLs 23, emoji and CJK 2, and `valid`: no
character X refuses) — the server's word, whatever the browser's ring said. The ring (static/workspace/reply_ring.js)
applies the same rule to the same text, so what it allows is what the server sends.

A reply is counted without its leading @mentions: X adds those itself (`reply.auto_populate_reply_metadata`) and they
do not count towards 280. Perch sends the agent's text as typed, only trimmed, and counts exactly that."""

import re

from twitter_text import parse_tweet
from twitter_text.regexp.invalid_chars import invalid_chars

TWEET_MAX_LENGTH = 280
DM_MAX_LENGTH = 10_000
EMAIL_MAX_LENGTH = 10_000
EMAIL_SUBJECT_MAX_LENGTH = 200  # Message.subject
# What JavaScript's String.prototype.trim() removes (WhiteSpace and LineTerminator): the ring trims with it, so the
# server trims with exactly the same set (Python's str.strip() also takes U+001C–U+001F and U+0085, and keeps U+FEFF).
JS_TRIMMED = "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
# A leading @mention as X reads a reply's: a handle of 1 to 15 letters, digits or underscores, then a space or the end.
_LEADING_MENTION = re.compile(r"@([A-Za-z0-9_]{1,15})(?:\s+|$)")


class TextRejected(ValueError):
    """The text cannot be sent; the message says why in words an agent understands."""


def sendable(text: str) -> str:
    """The text Perch sends and counts: what the agent typed, with the form's CRLFs as the textarea's LFs and the
    ends trimmed as the ring trims them."""
    return (text or "").replace("\r\n", "\n").strip(JS_TRIMMED)


def tweet_length(text: str) -> int:
    """X's weighted length of a tweet."""
    return parse_tweet(text or "").weightedLength


def validate_reply_text(text: str, *, has_image: bool = False) -> None:
    """Refuses, in words, a reply X would refuse: empty without an image, over 280, or with a character X does not
    accept (twitter-text's `valid`). `text` is what will be sent (see `sendable`)."""
    if not (text or "").strip(JS_TRIMMED):
        if has_image:
            return
        raise TextRejected("Write something before sending.")
    parsed = parse_tweet(text)
    if parsed.weightedLength > TWEET_MAX_LENGTH:
        length, over = parsed.weightedLength, parsed.weightedLength - TWEET_MAX_LENGTH
        raise TextRejected(f"This reply is {length} characters; X allows {TWEET_MAX_LENGTH}. Shorten it by {over}.")
    if not parsed.valid:
        found = invalid_chars.search(text)
        which = f"U+{ord(found.group()):04X}" if found else "an invisible character"
        raise TextRejected(f"This reply contains a character X does not accept ({which}): remove it and send again.")


def validate_dm_text(text: str, *, has_image: bool = False) -> None:
    if not (text or "").strip() and not has_image:
        raise TextRejected("Write something or attach an image before sending.")
    if len(text or "") > DM_MAX_LENGTH:
        raise TextRejected(f"This message is {len(text):,} characters; X allows {DM_MAX_LENGTH:,} in a DM.")


def validate_email(subject: str, text: str) -> None:
    """Refuses, in words, an email Perch would not send: no text, a text over 10,000 characters, a subject that is
    empty, longer than 200 characters or more than one line (a line break would start a new mail header), or a NUL
    anywhere (no mail server nor database takes one)."""
    if "\x00" in (subject or "") or "\x00" in (text or ""):
        raise TextRejected("The email contains a NUL character (often pasted from a file): remove it and send again.")
    if not (subject or "").strip():
        raise TextRejected("An email needs a subject.")
    if "\r" in subject or "\n" in subject:
        raise TextRejected("An email's subject is one line: remove its line breaks.")
    if len(subject) > EMAIL_SUBJECT_MAX_LENGTH:
        raise TextRejected(f"The subject is {len(subject):,} characters; at most {EMAIL_SUBJECT_MAX_LENGTH} fit.")
    if not (text or "").strip():
        raise TextRejected("Write something before sending.")
    if len(text) > EMAIL_MAX_LENGTH:
        raise TextRejected(f"This email is {len(text):,} characters; Perch sends at most {EMAIL_MAX_LENGTH:,}.")


def leading_mentions(text: str) -> tuple[list[str], int]:
    """The handles a tweet's text starts with ("@ana @bo hi" → ["ana", "bo"]) and where the rest begins: what X
    shows as "Replying to @ana @bo" above a reply when it sends no `display_text_range`."""
    handles, end = [], 0
    while found := _LEADING_MENTION.match(text or "", end):
        handles.append(found.group(1))
        end = found.end()
    return handles, end
