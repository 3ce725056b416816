"""The server counts like X: twitter-text's own conformance cases (twitter/twitter-text conformance/validate.yml),
each section with the configuration its own runner uses; the product counts with the current one (v3)."""

import re
from pathlib import Path

import pytest
import yaml
from twitter_text import parse_tweet
from twitter_text.config import config

from interactions.text import TextRejected, leading_mentions, sendable, tweet_length, validate_reply_text

CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "twitter-text-validate.yml").read_text())["tests"]
# twitter-text-parser's v1/v2 configs lack the key its parser reads; v2 predates emoji parsing.
VERSION1 = {**config["version1"], "emoji_parsing_enabled": False}
VERSION2 = {**config["version2"], "emoji_parsing_enabled": False}
SECTIONS = {
    "WeightedTweetsCounterTest": VERSION2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": config["version3"],
    "UnicodeDirectionalMarkerCounterTest": config["defaults"],
}


@pytest.mark.parametrize(
    "section,case",
    [(section, case) for section in SECTIONS for case in CASES[section]],
    ids=lambda v: getattr(v, "get", lambda k: v)("description"),
)
def test_weighted_length_matches_x(section, case):
    parsed = parse_tweet(case["text"], SECTIONS[section])
    assert (parsed.weightedLength, parsed.valid) == (case["expected"]["weightedLength"], case["expected"]["valid"])


@pytest.mark.parametrize("case", CASES["tweets"], ids=lambda c: c["description"])
def test_tweet_validity_matches_x(case):
    assert parse_tweet(case["text"], VERSION1).valid is case["expected"]  # the 140-character era


def test_the_product_counts_urls_as_23_and_emoji_and_cjk_as_2():
    assert tweet_length("see https://example.com/a/very/long/path/that/goes/on") == 4 + 23
    assert tweet_length("👍🏽") == 2 and tweet_length("のの") == 4


def test_over_length_and_empty_replies_are_refused_in_words():
    validate_reply_text("x" * 280)
    with pytest.raises(TextRejected, match=r"This reply is 297 characters; X allows 280\. Shorten it by 17\."):
        validate_reply_text("x" * 297)
    with pytest.raises(TextRejected, match="Write something"):
        validate_reply_text("  ")


@pytest.mark.parametrize("refused", ["\ufffe", "\uffff", "\ufeff"])
def test_a_character_x_refuses_is_refused_in_words_wherever_it_is(refused):
    with pytest.raises(TextRejected, match=re.escape(f"does not accept (U+{ord(refused):04X})")):
        validate_reply_text(f"Your refund{refused} is on its way")


def test_an_image_alone_may_be_sent_and_the_text_is_trimmed_as_the_ring_trims_it():
    validate_reply_text("", has_image=True)
    validate_reply_text("\u3000\n", has_image=True)
    assert sendable(" \ufeffOn it\r\nnow\u3000\n") == "On it\nnow"  # JavaScript's trim(), the form's CRLF
    assert sendable("\x1con it\x85") == "\x1con it\x85"  # Python's strip() would take these, trim() does not
    validate_reply_text(sendable("x" * 280 + "\n\u00a0"))


def test_a_tweet_s_leading_mentions_are_its_handles_and_where_its_text_begins():
    assert leading_mentions("@ana @bo_1 hi @cy") == (["ana", "bo_1"], 11)
    assert leading_mentions("@ana") == (["ana"], 4)
    assert leading_mentions("@ana's bag") == ([], 0) and leading_mentions("hi @ana") == ([], 0)
    assert leading_mentions("@abcdefghijklmnop hi") == ([], 0)  # 16 characters: no X handle
