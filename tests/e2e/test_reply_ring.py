"""What the ring allows, the server sends — and X counts the same way. In real Chromium, the reply ring of the
workspace (static/workspace/reply_ring.js, the vendored twitter-text) against the server's rule (interactions/text.py)
on the same texts: twitter-text's 44 weighted-length cases, characters X refuses, and replies near 280 to customers
whose handles have 1 to 15 characters — X puts the handle in front of the reply, and it does not count."""

from pathlib import Path

import pytest
import requests
import yaml
from django.core.management import call_command
from playwright.sync_api import expect

from interactions import services
from interactions.models import Interaction
from interactions.text import JS_TRIMMED, TextRejected, sendable, tweet_length, validate_reply_text
from social.models import XAccount
from social.sandbox.models import SandboxTweet
from tests.e2e.helpers import in_worker_thread, sign_in
from tests.e2e.test_conversation import poll
from tests.social.test_reply_mentions import weighted
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CASES = yaml.safe_load(
    (Path(__file__).parent.parent / "interactions" / "fixtures" / "twitter-text-validate.yml").read_text()
)["tests"]
WEIGHTED = [
    "WeightedTweetsCounterTest",
    "WeightedTweetsWithDiscountedEmojiCounterTest",
    "UnicodeDirectionalMarkerCounterTest",
]
# Texts at the edges of the rule: characters X refuses (twitter-text's `valid`), and what trimming takes or leaves.
EDGES = [
    "On it\ufffe now", "On it\uffff", "\ufffe", "hi\ufeffthere", "\ufeffhi\ufeff", " " + "x" * 280 + "\n",
    "x" * 280 + "\u3000", "x" * 280 + "\x1c", "x" * 279 + "\u00e9", "x" * 278 + "👍", "x" * 279 + "👍",
]  # fmt: skip


def server_accepts(text: str) -> bool:
    try:
        validate_reply_text(sendable(text))
    except TextRejected:
        return False
    return True


@pytest.fixture
def replies(live_server_url, page):
    """The demo, and one Twitter interaction of Ana's per customer handle of 1 to 15 characters (each customer
    tweeted at the brand; Perch polled it). Returns {handle: (interaction, tweet id)}."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    simulator = f"{live_server_url}/x-sandbox/simulator/api"
    tweets = {}
    for n in range(1, 16):
        handle = ("r" + "q" * 14)[:n]
        user = requests.post(f"{simulator}/users", json={"username": handle, "name": f"Handle {n}"}, timeout=10).json()
        tweet = {"author_id": user["id"], "text": "@perchdemoair where is my bag?"}
        tweets[handle] = requests.post(f"{simulator}/tweet", json=tweet, timeout=10).json()["id"]
    poll()
    from django.contrib.auth import get_user_model

    ana = get_user_model().objects.get(username="ana")
    found = {}
    for handle, tweet_id in tweets.items():
        interaction = Interaction.objects.get(kind="twitter", messages__external_id=tweet_id)

        def take(pk=interaction.pk):
            services.interaction_offer(interaction_id=pk, agent=ana)
            services.interaction_accept(interaction_id=pk, agent=ana)

        in_worker_thread(take)  # pushes to Ana's browser: off Playwright's thread
        found[handle] = (interaction, tweet_id)
    sign_in(page, live_server_url, "ana")
    return found


def collect_console_errors(page) -> list[str]:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def open_interaction(page, base, interaction):
    page.goto(f"{base}/workspace/interactions/{interaction.pk}/")
    view = page.get_by_role("article", name=f"Interaction with {interaction.contact.display_name}")
    expect(view).to_be_visible()
    return view


POST_AS_THE_FORM = """async ([form, texts]) => {
  const answers = [];
  for (const text of texts) {  // the composer's own form and key, the text the agent typed; what Send would post
    const data = new FormData(form);
    data.set("text", text);
    const response = await fetch(form.action, { method: "POST", body: data, headers: { "HX-Request": "true" } });
    answers.push(response.status);
  }
  return answers;
}"""

RING_ON = """([textarea, texts]) => texts.map(text => {
  textarea.value = text;
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
  const ring = textarea.form.querySelector(".reply-ring");
  const send = textarea.form.querySelector("button[type=submit]");
  return [Number(ring.getAttribute("aria-valuenow")), ring.dataset.state, !send.disabled];
})"""


def test_ring_and_server_agree_on_x_s_cases_and_the_edges_and_the_server_takes_what_the_ring_allows(
    live_server_url, page, replies
):
    errors = collect_console_errors(page)
    interaction, _ = replies["r"]
    view = open_interaction(page, live_server_url, interaction)
    cases = [case for section in WEIGHTED for case in CASES[section]]
    assert len(cases) == 44
    texts = [case["text"] for case in cases] + EDGES
    textarea = view.get_by_label("Write a message").element_handle()
    ring = page.evaluate(RING_ON, [textarea, texts])

    counted = [(tweet_length(sendable(t)), server_accepts(t)) for t in texts]
    assert [(length, allowed) for length, _, allowed in ring] == counted
    # The ring counts as X does (config v3, the product's) where trimming leaves the text as it is.
    v3 = [c for c in CASES["WeightedTweetsWithDiscountedEmojiCounterTest"] if sendable(c["text"]) == c["text"]]
    by_text = dict(zip(texts, ring, strict=True))
    assert [(by_text[c["text"]][0], by_text[c["text"]][2]) for c in v3] == [
        (c["expected"]["weightedLength"], c["expected"]["valid"]) for c in v3
    ]
    states = {text: state for text, (_, state, _) in zip(texts, ring, strict=True)}
    assert states["On it\ufffe now"] == states["hi\ufeffthere"] == "invalid" and states["x" * 280 + "\x1c"] == "over"

    # The server, over HTTP from the composer's own form, takes exactly those the ring allows (one key: one reply).
    statuses = page.evaluate(POST_AS_THE_FORM, [view.locator("form.composer").element_handle(), texts])
    assert [status == 200 for status in statuses] == [allowed for _, _, allowed in ring]
    assert set(statuses) == {200, 422}
    assert interaction.messages.filter(direction="out").count() == 1
    assert errors == [], "\n".join(errors)


def test_a_refused_character_turns_the_ring_red_and_disables_send(live_server_url, page, replies):
    errors = collect_console_errors(page)
    interaction, _ = replies["rq"]
    view = open_interaction(page, live_server_url, interaction)
    box, ring, send = (
        view.get_by_label("Write a message"),
        view.get_by_role("progressbar"),
        view.get_by_role("button", name="Send"),
    )
    box.fill("Your refund is on its way\uffff")
    expect(ring).to_have_attribute("data-state", "invalid")
    expect(ring).to_have_attribute("aria-label", "27 of 280 characters, with a character X does not accept")
    assert ring.locator(".ring-fill").evaluate("el => getComputedStyle(el).stroke") == "rgb(220, 38, 38)"  # red
    expect(send).to_be_disabled()
    box.press("Enter")  # Enter cannot send it either
    box.fill("Your refund is on its way")
    expect(ring).to_have_attribute("data-state", "ok")
    expect(send).to_be_enabled()
    assert not interaction.messages.filter(direction="out").exists()
    assert errors == [], "\n".join(errors)


def test_replies_near_280_to_handles_of_1_to_15_characters_count_the_same_in_the_ring_the_server_and_at_x(
    live_server_url, page, replies, screenshot
):
    errors = collect_console_errors(page)
    for handle, (interaction, tweet_id) in replies.items():
        view = open_interaction(page, live_server_url, interaction)
        expect(view.locator(".composer .replying-to")).to_have_text(f"Replying to @{handle}")
        textarea = view.get_by_label("Write a message").element_handle()
        near = [weighted(279), weighted(280), weighted(281)]
        ring = page.evaluate(RING_ON, [textarea, near])
        assert ring == [[279, "warning", True], [280, "warning", True], [281, "over", False]], handle
        assert [server_accepts(text) for text in near] == [True, True, False]
        form = view.locator("form.composer").element_handle()
        assert page.evaluate(POST_AS_THE_FORM, [form, [weighted(281)]]) == [422]  # the server refuses it in words

        box = view.get_by_label("Write a message")
        box.fill(weighted(280))
        expect(view.get_by_role("progressbar").locator(".ring-count")).to_have_text("0")
        view.get_by_role("button", name="Send").click()
        mine = view.get_by_label("Tweet thread").locator(".tweet.from-brand")
        expect(mine.locator(".delivery")).to_have_text("Sent")
        expect(mine.locator(".tweet-replying-to")).to_have_text(f"Replying to @{handle}")
        expect(mine.locator(".tweet-text")).to_have_text(weighted(280))
        sent = interaction.messages.get(direction="out")
        at_x = SandboxTweet.objects.get(pk=sent.external_id)
        assert (sent.text, at_x.text, at_x.replied_to_id) == (weighted(280), f"@{handle} {weighted(280)}", tweet_id)
        if len(handle) == 15:
            screenshot("reply-280-to-a-15-character-handle")
    assert (
        XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID)
        .interactions.filter(messages__direction="out", messages__delivery="sent")
        .distinct()
        .count()
        == 15
    )
    assert errors == [], "\n".join(errors)


def test_the_ring_trims_exactly_what_the_server_trims(page):
    """JavaScript's trim() and interactions.text.JS_TRIMMED take the same characters (the whole BMP is checked)."""
    page.set_content("<!doctype html><meta charset='utf-8'>")
    trimmed = page.evaluate(
        "() => { const found = []; for (let c = 0; c < 0x10000; c++) "
        "{ if (String.fromCharCode(c).trim() === '') found.push(c); } return found; }"
    )
    assert trimmed == sorted(ord(c) for c in JS_TRIMMED)
