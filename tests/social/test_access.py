"""What each X account's access allows, end to end: the sandbox (over HTTP) refuses as X does, Perch asks
social/access.py first and is corrected by X's 403s. Issue 17, items 1-3."""

import logging

import pytest
import requests
from django.test import Client
from django.urls import reverse

from interactions import handoff, outbox, services
from interactions.models import Message
from social import access, polling
from social.models import XAccount
from social.sandbox.models import SandboxRateWindow
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def set_tier(simulator, user: dict, tier: str, **more) -> dict:
    response = requests.post(f"{simulator.api}/users", json={"username": user["username"], "tier": tier, **more},
                             timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def keyword_tweet(simulator, brand, access: str):
    """A complaint found by keyword monitoring (it never mentions @acmecare), accepted by an agent."""
    XAccount.objects.filter(pk=brand.pk).update(keywords="lost bag", access=access)
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "Airline lost bag again, third time this year")
    polling.poll_account(account_id=brand.pk, force=True)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    return maya, tweet, agent, interaction


def posts_of_tweets_seen_by_sandbox() -> int:
    return SandboxRateWindow.objects.filter(key__startswith="tweet_create:").count()


def page_of(agent, interaction) -> str:
    client = Client()
    client.force_login(agent)
    return client.get(reverse("workspace:interaction", args=[interaction.pk])).content.decode()


def test_a_keyword_tweet_is_marked_not_addressed_and_a_mention_is_summoned(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.PAY_PER_USE)
    assert Message.objects.get(external_id=tweet["id"]).summoned is False
    simulator.tweet(maya, "@acmecare and now you, please help")
    polling.poll_account(account_id=brand.pk, force=True)
    assert Message.objects.filter(text__startswith="@acmecare and now").get().summoned is True
    assert "Not addressed to @acmecare" in page_of(agent, interaction)


def test_self_serve_has_no_like_offers_reply_by_dm_and_refuses_a_public_reply_without_calling_x(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.PAY_PER_USE)
    page = page_of(agent, interaction)
    assert ">Like</button>" not in page
    assert ">Reply by DM</button>" in page and ">Reply</button>" not in page

    client = Client()
    client.force_login(agent)
    response = client.post(
        reverse("workspace:interaction_send", args=[interaction.pk]),
        {"text": "So sorry!", "in_reply_to_tweet_id": tweet["id"], "idempotency_key": "direct-post"},
    )
    assert response.status_code == 422
    assert "is not addressed to @acmecare" in response.content.decode()
    assert "Reply by DM instead" in response.content.decode()
    assert not Message.objects.filter(direction="out").exists()
    assert posts_of_tweets_seen_by_sandbox() == 0, "the sandbox saw a POST /2/tweets"
    with pytest.raises(outbox.OutboxRefused, match="X removed likes"):
        outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="l")


def test_reply_by_dm_opens_the_dm_to_the_author_in_the_same_contacts_history(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.PAY_PER_USE)
    client = Client()
    client.force_login(agent)
    response = client.post(reverse("workspace:interaction_reply_by_dm", args=[interaction.pk]),
                           {"tweet_id": tweet["id"]}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    chat = agent.interactions.get(kind="chat")
    assert chat.contact_id == interaction.contact_id and chat.state == "active"
    assert "Private DM" in response.content.decode()
    outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text="Hi Maya, we saw your tweet", idempotency_key="d")
    sent = [dm for dm in simulator.activity(maya)["dms"] if dm["sender_id"] == brand.x_user_id]
    assert [dm["text"] for dm in sent] == ["Hi Maya, we saw your tweet"]


def test_a_dm_to_someone_whose_dms_are_closed_says_so_in_words(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.PAY_PER_USE)
    set_tier(simulator, maya, "enterprise", accepts_dms=False)
    with pytest.raises(outbox.OutboxRefused, match="@maya does not accept DMs from you, and X does not let"):
        handoff.interaction_reply_by_dm(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"])
    assert not agent.interactions.filter(kind="chat").exists()  # X's receives_your_dm, asked before the chat opens

    set_tier(simulator, maya, "enterprise", accepts_dms=True)
    chat = handoff.interaction_reply_by_dm(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"])
    set_tier(simulator, maya, "enterprise", accepts_dms=False)  # closed in the meantime: the send says so
    message = outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text="Hi Maya", idempotency_key="d")
    message.refresh_from_db()
    assert (message.delivery, message.last_error) == ("failed", "@maya does not accept DMs from you.")


def test_move_to_dm_to_someone_whose_dms_are_closed_promises_nothing_in_public(simulator, brand):
    from social.sandbox.models import SandboxTweet

    maya = simulator.user("maya", "Maya Patel")
    set_tier(simulator, maya, "enterprise", accepts_dms=False)
    tweet = simulator.tweet(maya, "@acmecare my refund never arrived")
    polling.poll_account(account_id=brand.pk, force=True)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    with pytest.raises(outbox.OutboxRefused, match="@maya does not accept DMs from you: Move to DM would promise"):
        handoff.interaction_move_to_dm(
            interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="move-1"
        )
    assert not SandboxTweet.objects.filter(author_id=brand.x_user_id).exists()
    assert not Message.objects.filter(direction="out").exists() and not agent.interactions.filter(kind="chat")


def test_an_enterprise_account_likes_and_replies_to_an_unsummoned_tweet(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.ENTERPRISE)
    page = page_of(agent, interaction)
    assert ">Like</button>" in page and ">Reply</button>" in page and "Reply by DM" not in page
    like = outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="l")
    reply = outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
                                text="So sorry, Maya!", idempotency_key="r")  # fmt: skip
    like.refresh_from_db()
    reply.refresh_from_db()
    assert (like.delivery, reply.delivery) == ("sent", "sent")
    activity = simulator.activity(maya)
    assert [lk["tweet_id"] for lk in activity["likes"]] == [tweet["id"]]
    assert [r["id"] for r in activity["replies"]] == [reply.external_id]


def test_xs_403_not_in_the_access_lowers_the_account_and_tells_supervisors(simulator, brand, caplog):
    """Perch thinks the account is Enterprise; X (the sandbox) knows its app is self-serve."""
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.ENTERPRISE)
    set_tier(simulator, {"username": "acmecare"}, "pay_per_use")
    with caplog.at_level(logging.WARNING, logger="social.alerts"):
        like = outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"],
                                  idempotency_key="l")  # fmt: skip
    like.refresh_from_db()
    brand.refresh_from_db()
    assert like.delivery == "failed" and "X removed likes" in like.last_error
    assert brand.access == XAccount.Access.PAY_PER_USE
    assert "subset of X API V2 endpoints" in brand.access_changed_reason  # X's words, kept for the supervisor
    assert any("account.access_lowered" in r.getMessage() for r in caplog.records)
    # From now on Perch knows: the next Like is refused before X is called.
    with pytest.raises(outbox.OutboxRefused):
        outbox.outbox_like(interaction_id=interaction.pk, agent=agent, tweet_id=tweet["id"], idempotency_key="l2")


def test_xs_403_for_an_unsummoned_reply_lowers_the_account_and_marks_the_tweet(simulator, brand):
    maya, tweet, agent, interaction = keyword_tweet(simulator, brand, XAccount.Access.ENTERPRISE)
    set_tier(simulator, {"username": "acmecare"}, "pay_per_use")
    reply = outbox.outbox_reply(interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet["id"],
                                text="So sorry!", idempotency_key="r")  # fmt: skip
    reply.refresh_from_db()
    brand.refresh_from_db()
    assert reply.delivery == "failed" and "Reply by DM instead" in reply.last_error
    assert brand.access == XAccount.Access.PAY_PER_USE
    assert simulator.activity(maya)["replies"] == []


def test_move_to_dm_posts_one_public_reply_then_one_dm_in_the_contacts_history(simulator, brand):
    XAccount.objects.filter(pk=brand.pk).update(move_to_dm_text="We've sent you a DM")
    maya = simulator.user("maya", "Maya Patel")
    tweet = simulator.tweet(maya, "@acmecare my refund never arrived")
    polling.poll_account(account_id=brand.pk, force=True)
    agent = AgentFactory()
    interaction = brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    assert ">Move to DM</button>" in page_of(agent, interaction)

    client = Client()
    client.force_login(agent)
    url = reverse("workspace:interaction_move_to_dm", args=[interaction.pk])
    for _ in range(2):  # a double-click is one public reply
        response = client.post(url, {"tweet_id": tweet["id"], "idempotency_key": "move-1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    chat = agent.interactions.get(kind="chat")
    outbox.outbox_send_dm(interaction_id=chat.pk, agent=agent, text="Could you send your order number?",
                          idempotency_key="dm-1")  # fmt: skip

    outbound = Message.objects.filter(interaction__contact=interaction.contact, direction="out").order_by(
        "created_at", "id"
    )
    assert [(m.kind, m.text, m.delivery) for m in outbound] == [
        ("tweet", "We've sent you a DM", "sent"),
        ("dm", "Could you send your order number?", "sent"),
    ]
    activity = simulator.activity(maya)
    assert [r["text"] for r in activity["replies"]] == ["@maya We've sent you a DM"]
    assert [dm["text"] for dm in activity["dms"] if dm["sender_id"] == brand.x_user_id] == [
        "Could you send your order number?"
    ]


# --- The verdicts for keyword search and webhooks ---------------------------------------------------------------
def searches_seen_by_sandbox() -> int:
    return SandboxRateWindow.objects.filter(key__startswith="search:").count()  # (a faulted call is not counted)


def supervisor_client() -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get_or_create(username="sam", is_staff=True, is_superuser=True)[0])
    return client


def test_x_refusing_keyword_search_pauses_it_says_why_on_the_board_and_reads_the_rest(simulator, brand, caplog):
    """Search is in every access X documents; when X says otherwise (403 client-forbidden), Perch believes it."""
    XAccount.objects.filter(pk=brand.pk).update(keywords="lost bag")
    simulator.fault(method="GET", path="/2/tweets/search/recent", status=403, problem="not_in_access")
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    simulator.tweet(maya, "Airline lost bag again")
    simulator.tweet(tom, "@acmecare my flight is late")
    with caplog.at_level(logging.WARNING, logger="social.alerts"):
        report = polling.poll_account(account_id=brand.pk, force=True)
    brand.refresh_from_db()
    assert report.error == "" and brand.last_poll_ok_at is not None  # the mentions were read all the same
    assert list(Message.objects.values_list("text", flat=True)) == ["@acmecare my flight is late"]
    assert list(brand.access_refusals) == ["search"] and "subset of X API V2" in brand.access_refusals["search"]
    assert any("account.access_lowered" in r.getMessage() for r in caplog.records)

    polling.poll_account(account_id=brand.pk, force=True)
    assert searches_seen_by_sandbox() == 0, "Perch asked X to search again after X refused it"
    health = supervisor_client().get("/admin/board/health/").content.decode()
    assert "Keyword monitoring is paused: X refused keyword search as not in @acmecare" in health

    # The supervisor fixed the X app and asks X again (the admin's action): the keyword tweet comes in.
    answer = supervisor_client().post("/admin/social/xaccount/", {"action": "ask_x_again",
                                                                  "_selected_action": [brand.pk]})  # fmt: skip
    assert answer.status_code == 302
    brand.refresh_from_db()
    assert brand.access_refusals == {}
    polling.poll_account(account_id=brand.pk, force=True)
    assert Message.objects.filter(text="Airline lost bag again").exists() and searches_seen_by_sandbox() > 0
    assert "Keyword monitoring is paused" not in supervisor_client().get("/admin/board/health/").content.decode()


def admin_change(client, account: XAccount, **changes):
    """The account's admin form as the supervisor saves it (secrets left empty: they are kept)."""
    data = {
        "name": account.name, "handle": account.handle, "x_user_id": account.x_user_id, "is_active": "on",
        "access": account.access, "move_to_dm_text": account.move_to_dm_text, "mode": account.mode,
        "poll_interval_seconds": account.poll_interval_seconds, "keywords": account.keywords,
        "api_base_url": account.api_base_url, "budget_overrides": "{}", "consumer_key": account.consumer_key,
        "cursors-TOTAL_FORMS": 0, "cursors-INITIAL_FORMS": 0, **changes,
    }  # fmt: skip
    return client.post(f"/admin/social/xaccount/{account.pk}/change/", data)


def test_webhook_mode_is_set_up_only_where_the_access_has_webhooks(brand):
    from social import services

    XAccount.objects.filter(pk=brand.pk).update(access=XAccount.Access.BASIC_PRO)
    brand.refresh_from_db()
    with pytest.raises(access.NotAllowed, match="Account Activity webhooks to Pay Per Use and Enterprise"):
        services.xaccount_set_mode(account_id=brand.pk, mode=XAccount.Mode.WEBHOOK)
    client = supervisor_client()
    page = client.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    assert "X would refuse:" in page and 'name="access"' in page and 'name="move_to_dm_text"' in page
    refused = admin_change(client, brand, mode="webhook")
    assert refused.status_code == 200  # the form again, with X's rule under the mode
    assert "X offers Account Activity webhooks to Pay Per Use" in refused.content.decode()
    brand.refresh_from_db()
    assert brand.mode == XAccount.Mode.POLLING

    saved = admin_change(client, brand, mode="webhook", access="pay_per_use")  # what X sells the app: webhooks too
    assert saved.status_code == 302
    brand.refresh_from_db()
    assert (brand.mode, brand.access) == ("webhook", "pay_per_use")

    # X (or a supervisor's mistake) lowered it while in webhook mode: the board says why deliveries may stop.
    XAccount.objects.filter(pk=brand.pk).update(access=XAccount.Access.BASIC_PRO)
    health = client.get("/admin/board/health/").content.decode()
    assert "Webhook mode: @acmecare has Self-serve Basic / Pro plan access: X offers Account Activity" in health
