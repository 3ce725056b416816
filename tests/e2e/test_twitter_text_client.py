"""The browser's counter (vendored twitter-text, what the reply ring uses) agrees with X's conformance cases —
each section with the configuration its own runner uses, as tests/interactions/test_text.py does for the server."""

from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.e2e]

CASES = yaml.safe_load(
    (Path(__file__).parent.parent / "interactions" / "fixtures" / "twitter-text-validate.yml").read_text()
)["tests"]
TWITTER_TEXT = Path(__file__).parent.parent.parent / "static" / "vendor" / "twitter-text" / "twitter-text.min.js"
# twitter-text's JS runner: v2 (no emoji discount) for the weighted counter, v3 for emoji, defaults for the marks.
SECTIONS = {
    "WeightedTweetsCounterTest": "version2",
    "WeightedTweetsWithDiscountedEmojiCounterTest": "version3",
    "UnicodeDirectionalMarkerCounterTest": "defaults",
}


@pytest.fixture(scope="module")
def counter_page(browser):
    """A UTF-8 page with the vendored bundle, as the workspace loads it (no server needed)."""
    page = browser.new_page()
    page.set_content('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>')
    page.add_script_tag(path=str(TWITTER_TEXT))
    yield page
    page.close()


@pytest.mark.parametrize("section", SECTIONS)
def test_the_client_counter_matches_x_on_every_weighted_length_case(counter_page, section):
    cases = CASES[section]
    counted = counter_page.evaluate(
        """([texts, config]) => texts.map(text => {
             const parsed = twttr.parseTweet(text, twttr.configs[config]);
             return [parsed.weightedLength, parsed.valid];
           })""",
        [[case["text"] for case in cases], SECTIONS[section]],
    )
    expected = [[case["expected"]["weightedLength"], case["expected"]["valid"]] for case in cases]
    mismatches = [
        (c["description"], got, want) for c, got, want in zip(cases, counted, expected, strict=True) if got != want
    ]
    assert mismatches == [] and len(counted) == len(cases) > 0


def test_the_configurations_differ_where_it_matters(counter_page):
    """Guards the sections above against a silently ignored config: v2 and v3 disagree on emoji."""
    counted = counter_page.evaluate(
        "['version2', 'version3'].map(c => twttr.parseTweet('👍🏽👍🏽', twttr.configs[c]).weightedLength)"
    )
    assert counted == [8, 4]


def test_the_ring_counts_like_the_server(counter_page):
    from interactions.text import tweet_length

    samples = ["see https://example.com/a/very/long/path 👍🏽", "のの #hashtag @someone", "x" * 281, "👨‍👩‍👧‍👦 café"]
    counted = counter_page.evaluate("texts => texts.map(t => twttr.parseTweet(t).weightedLength)", samples)
    assert counted == [tweet_length(text) for text in samples]
