"""A reply goes to X as the agent wrote it, and X (the sandbox) puts the @mentions in front — as X API v2 does
(`reply.auto_populate_reply_metadata`): they do not count towards 280, `display_text_range` starts after them, and
Perch shows them as X does ("Replying to @maya" above the text). What the ring allows, the server sends, and X takes:
280 weighted characters for a customer whose handle has 1 to 15 characters, twitter-text's `valid` on both sides.

Every send here goes through the outbox, the worker, tweepy and HTTP to the sandbox, as in production."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions import outbox, services
from interactions.models import Message
from interactions.text import tweet_length
from social import ingest, polling, sending
from social.integrations.x_client import XClient
from social.sandbox.models import SandboxTweet
from social.sandbox.services import TOO_LONG
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in
from tests.social.sandbox.conftest import X

pytestmark = pytest.mark.django_db(transaction=True)
HX = {"HX-Request": "true"}


def weighted(length: int) -> str:
    """A reply of exactly `length` weighted characters, as X counts them: a URL (23), an emoji and CJK (2 each)."""
    start = "See https://example.com/claims/form/2026 👍 のの "  # 4 + 23 + 1 + 2 + 1 + 4 + 1 = 36
    text = start + "x" * (length - 36)
    assert tweet_length(text) == length
    return text


def accepted(brand, interaction) -> tuple:
    agent = AgentFactory()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    return agent, interaction


def mention_conversation(simulator, brand, username="maya"):
    """A customer tweets at the brand, Perch polls it, an agent accepts: (customer, tweet, agent, interaction)."""
    customer = simulator.user(username, username.title())
    tweet = simulator.tweet(customer, "@acmecare my bag is lost")
    polling.poll_account(account_id=brand.pk)
    agent, interaction = accepted(brand, brand.interactions.get(messages__external_id=tweet["id"]))
    return customer, tweet, agent, interaction


def test_a_reply_is_sent_as_written_x_puts_the_handle_in_front_and_perch_shows_it_as_x_does(simulator, brand):
    maya, tweet, agent, interaction = mention_conversation(simulator, brand)
    row = outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
                              text="So sorry! Could you DM us your booking code?", idempotency_key="r1")  # fmt: skip
    row.refresh_from_db()
    assert (row.delivery, row.text) == ("sent", "So sorry! Could you DM us your booking code?")

    # X stores the reply with the author's handle in front, and shows the text after it.
    at_x = SandboxTweet.objects.get(pk=row.external_id)
    assert at_x.text == "@maya So sorry! Could you DM us your booking code?"
    lookup = X(simulator.base, brand.access_token).get(f"/2/tweets/{row.external_id}", **{
        "tweet.fields": "display_text_range,in_reply_to_user_id,entities"})  # fmt: skip
    data = lookup.json()["data"]
    assert data["text"] == at_x.text and data["display_text_range"] == [6, len(at_x.text)]
    assert data["in_reply_to_user_id"] == maya["id"]
    assert data["entities"]["mentions"] == [{"start": 0, "end": 5, "username": "maya", "id": maya["id"]}]

    # Reading X's copy back (the lookup Perch's client makes) is the same reply, never a second row.
    page = XClient.for_account(brand).tweets([row.external_id])
    assert [(t.text, t.display_start) for t in page.items] == [(at_x.text, 6)]
    result = ingest.ingest_tweets(account=brand, tweets=page.items, users=page.users)
    assert (result.created, interaction.messages.filter(direction="out").count()) == ([], 1)

    # The agent sees it as X shows it: "Replying to @maya" above the text, the text once, no "@maya" in it.
    client = sign_in(agent.username, PASSWORD)
    html = client.get(reverse("workspace:interaction_conversation", args=[interaction.pk])).content.decode()
    brand_tweet = re.search(r'<li class="tweet depth-1 from-brand">(.*?)</li>', html, re.S).group(1)
    assert re.search(r"Replying to <bdi>@maya</bdi>", brand_tweet)
    assert html.count("So sorry! Could you DM us your booking code?") == 1
    assert "@maya So sorry" not in html
    # Replying to the brand's own reply goes to Maya (X never mentions the replying account), as the composer says.
    assert re.search(rf'data-reply-to="{row.external_id}" data-reply-handle="maya"', brand_tweet)


def test_a_customer_reply_read_from_x_shows_its_text_without_the_mentions_x_put_in_front(simulator, brand):
    maya, tweet, agent, interaction = mention_conversation(simulator, brand)
    row = outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
                              text="Which flight?", idempotency_key="r1")  # fmt: skip
    row.refresh_from_db()
    answer = simulator.tweet(maya, "TP1234 this morning", in_reply_to=row.external_id)  # typed without a mention
    assert answer["text"] == "@acmecare TP1234 this morning" and answer["display_text_range"] == [10, 29]
    polling.poll_account(account_id=brand.pk)
    stored = interaction.messages.get(external_id=answer["id"])
    assert (stored.text, stored.display_text, stored.leading_handles) == (
        "@acmecare TP1234 this morning",
        "TP1234 this morning",
        ["acmecare"],
    )
    client = sign_in(agent.username, PASSWORD)
    html = client.get(reverse("workspace:interaction_conversation", args=[interaction.pk])).content.decode()
    assert re.search(
        r"Replying to <bdi>@acmecare</bdi></p>\s*<bdi class=\"tweet-text\">TP1234 this morning</bdi>", html
    )


def test_an_in_flight_reply_whose_copy_x_holds_with_the_handle_in_front_is_adopted_not_posted_again(simulator, brand):
    maya, tweet, agent, interaction = mention_conversation(simulator, brand)
    # X took the reply ("@maya Found it, on its way"), but the worker died before hearing X's answer ...
    brand_x = X(simulator.base, brand.access_token)
    posted = brand_x.post("/2/tweets", {"text": "Found it, on its way", "reply": {"in_reply_to_tweet_id": tweet["id"]}})
    assert posted.json()["data"]["text"] == "@maya Found it, on its way"
    in_flight = Message.objects.create(
        interaction=interaction, x_account=brand, direction="out", kind="tweet", text="Found it, on its way",
        in_reply_to_external_id=tweet["id"], author_agent=agent, delivery="sending", attempts=1,
        claimed_at=timezone.now() - sending.send_lease() - timedelta(seconds=1),
    )  # fmt: skip
    # ... so the sweep asks X first: the same words under the same tweet are this reply, whatever X put in front.
    assert sending.send(message_id=in_flight.pk) == sending.Outcome.SENT
    in_flight.refresh_from_db()
    assert in_flight.external_id == posted.json()["data"]["id"]
    assert [r["id"] for r in simulator.activity(maya)["replies"]] == [in_flight.external_id]


def test_same_text_of_a_reply_leaves_out_the_leading_mentions_of_both():
    assert sending.same_text("thanks &amp; sorry", "@maya thanks & sorry", reply=True)
    assert sending.same_text("@maya thanks", "@maya thanks", reply=True)
    assert sending.same_text("see https://x.example/a", "@maya @tom see https://t.co/abc", reply=True)
    assert not sending.same_text("thanks", "@maya thanks")  # a DM's words are all its words
    assert not sending.same_text("thanks", "@maya thanks a lot", reply=True)


def test_replies_of_exactly_280_are_sent_to_customers_with_handles_of_1_to_15_characters(simulator, brand):
    handles = [("q" + "z" * 14)[:n] for n in range(1, 16)]
    customers = {h: simulator.user(h, f"Customer {len(h)}") for h in handles}
    tweets = {h: simulator.tweet(customers[h], "@acmecare help") for h in handles}
    polling.poll_account(account_id=brand.pk)
    text = weighted(280)
    for handle in handles:
        agent, interaction = accepted(brand, brand.interactions.get(messages__external_id=tweets[handle]["id"]))
        with pytest.raises(
            outbox.OutboxRefused, match=r"This reply is 281 characters; X allows 280\. Shorten it by 1\."
        ):
            outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweets[handle]["id"],
                                text=text + "x", idempotency_key=f"over-{handle}")  # fmt: skip
        row = outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, idempotency_key=f"r-{handle}",
                                  in_reply_to_tweet_id=tweets[handle]["id"], text=text)  # fmt: skip
        row.refresh_from_db()
        assert (row.delivery, row.last_error) == ("sent", ""), handle
        at_x = SandboxTweet.objects.get(pk=row.external_id)
        assert (at_x.text, at_x.display_start) == (f"@{handle} {text}", len(handle) + 2)
        assert tweet_length(at_x.text) == 280 + len(handle) + 2  # more than 280 in all: the mention does not count


def test_x_counts_only_what_it_shows_and_refuses_281_in_its_words(simulator, brand):
    longest = simulator.user("q" * 15, "Fifteen")
    tweet = simulator.tweet(longest, "@acmecare help")
    brand_x = X(simulator.base, brand.access_token)
    reply = {"in_reply_to_tweet_id": tweet["id"]}
    assert brand_x.post("/2/tweets", {"text": weighted(280), "reply": reply}).status_code == 201
    over = brand_x.post("/2/tweets", {"text": weighted(281) + "!", "reply": reply})
    assert over.status_code == 400 and over.json()["errors"][0]["message"] == TOO_LONG
    assert "282 characters" in over.json()["errors"][0]["parameters"]["text"][0]
    alone = brand_x.post("/2/tweets", {"text": weighted(281)})  # not a reply: nothing in front, the same rule
    assert alone.status_code == 400


@pytest.mark.parametrize("refused", ["\ufffe", "\uffff"], ids=["U+FFFE", "U+FFFF"])
def test_a_character_x_refuses_is_refused_in_words_by_perch_and_by_x(simulator, brand, refused):
    maya, tweet, agent, interaction = mention_conversation(simulator, brand)
    code = f"U+{ord(refused):04X}"
    with pytest.raises(outbox.OutboxRefused, match=re.escape(f"contains a character X does not accept ({code})")):
        outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
                            text=f"On it{refused} now", idempotency_key="bad-1")  # fmt: skip

    # The same through the composer's form: refused beside Send, in words (422), the draft kept — never a 500.
    client = sign_in(agent.username, PASSWORD)
    url = reverse("workspace:interaction_send", args=[interaction.pk])
    form = {"text": f"On it{refused} now", "in_reply_to_tweet_id": tweet["id"], "idempotency_key": "bad-2"}
    response = client.post(url, form, headers=HX)
    assert response.status_code == 422
    html = response.content.decode()
    error = re.search(r'<p class="composer-error" id="composer-error-\d+" role="alert">(.*?)</p>', html, re.S)
    assert f"contains a character X does not accept ({code})" in error.group(1)
    assert not interaction.messages.filter(direction="out").exists()

    refusal = X(simulator.base, brand.access_token).post(
        "/2/tweets", {"text": f"On it{refused} now", "reply": {"in_reply_to_tweet_id": tweet["id"]}}
    )
    assert refusal.status_code == 400 and "not allowed" in refusal.json()["errors"][0]["message"]


def test_x_mentions_the_people_the_tweet_replied_to_minus_the_excluded_and_never_the_replying_account(simulator):
    brand, maya, tom = simulator.user("acmecare"), simulator.user("maya"), simulator.user("tom")
    root = simulator.tweet(maya, "@acmecare my bag is lost")
    joined = simulator.tweet(tom, "mine too", in_reply_to=root["id"])
    assert joined["text"] == "@maya @acmecare mine too"  # Tom answered Maya: X puts her, and whom she named, in front
    as_brand = X(simulator.base, brand["access_token"])

    def reply(text, **extra):
        body = {"text": text, "reply": {"in_reply_to_tweet_id": joined["id"], **extra}}
        answer = as_brand.post("/2/tweets", body)
        assert answer.status_code == 201, answer.text
        return answer.json()["data"]["text"]

    assert reply("We are on it") == "@tom @maya We are on it"  # the author, then the people Tom replied to
    assert reply("Both found", exclude_reply_user_ids=[maya["id"]]) == "@tom Both found"
    # X ignores removing the author (that mention makes it a reply), and does not name anyone twice.
    assert reply("Sorry", exclude_reply_user_ids=[tom["id"]], auto_populate_reply_metadata=True) == "@tom @maya Sorry"
    assert reply("@maya @tom hello both") == "@maya @tom hello both"
    # The brand answering its own reply: the brand is never mentioned, the people it answered are.
    own = SandboxTweet.objects.filter(author_id=brand["id"]).order_by("created_at").first()
    again = as_brand.post("/2/tweets", {"text": "Update: found", "reply": {"in_reply_to_tweet_id": own.pk}})
    assert again.json()["data"]["text"] == "@tom @maya Update: found"
    for bad in ({"reply": "123"}, {"reply": {"in_reply_to_tweet_id": root["id"], "exclude_reply_user_ids": "x"}},
                {"media": "1"}):  # fmt: skip
        refused = as_brand.post("/2/tweets", {"text": "hi", **bad})
        assert refused.status_code == 400 and refused.json()["errors"][0]["message"], bad
