"""Reply and Like on a contact's tweet from the Connect view (interactions.tweet_actions), end to end against the
sandbox: which interaction sends it, who is refused and why, what X's access allows, and who may see the tweet."""

import pytest

from contacts.models import Contact
from interactions import services, tweet_actions
from interactions.errors import InteractionError, NotYours
from interactions.models import Interaction, Message
from social import polling
from social.models import XAccount
from tests.factories import AgentFactory
from tests.social.conftest import brand, png, simulator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def enterprise(account):
    XAccount.objects.filter(pk=account.pk).update(access=XAccount.Access.ENTERPRISE)  # only Enterprise may like


def maya_tweets(simulator, brand, text="@acmecare my bag is lost"):  # noqa: F811
    """Maya tweets at the brand and Perch polls it: her Twitter interaction, queued, and the stored tweet."""
    maya = simulator.user("maya", "Maya Patel")
    posted = simulator.tweet(maya, text)
    polling.poll_account(account_id=brand.pk)
    tweet = Message.objects.get(kind="tweet", external_id=posted["id"])
    return maya, tweet


def worked_by(interaction, agent, *, state="active"):
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    if state in ("ended", "done"):
        services.interaction_end(interaction_id=interaction.pk, agent=agent)
    if state == "done":
        services.interaction_mark_done(interaction_id=interaction.pk, agent=agent)
    interaction.refresh_from_db()
    return interaction


def replies_to(simulator, user, tweet_id):  # noqa: F811
    return [t for t in simulator.activity(user)["replies"] if t["in_reply_to_tweet_id"] == tweet_id]


def test_on_the_agents_own_live_conversation_the_reply_and_like_go_out_there(simulator, brand):  # noqa: F811
    enterprise(brand)
    maya, tweet = maya_tweets(simulator, brand)
    ana = AgentFactory(first_name="Ana")
    interaction = worked_by(tweet.interaction, ana)
    reply = tweet_actions.tweet_reply(agent=ana, message_id=tweet.pk, text="On it, Maya!", idempotency_key="r1")
    like = tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l1")
    reply.refresh_from_db()
    like.refresh_from_db()
    assert (reply.interaction_id, like.interaction_id) == (interaction.pk, interaction.pk)
    assert (reply.delivery, like.delivery) == ("sent", "sent")
    assert [r["id"] for r in replies_to(simulator, maya, tweet.external_id)] == [reply.external_id]
    assert [lk["tweet_id"] for lk in simulator.activity(maya)["likes"]] == [tweet.external_id]
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize("state", ["ended", "done"])
def test_someone_elses_ended_or_a_done_conversation_gets_a_new_done_interaction_of_the_agent(simulator, brand, state):  # noqa: F811
    enterprise(brand)
    maya, tweet = maya_tweets(simulator, brand)
    ben = AgentFactory(first_name="Ben")
    old = worked_by(tweet.interaction, ben, state=state)
    ana = AgentFactory(first_name="Ana")
    Contact.objects.update(assigned_agent=ana)  # a supervisor gave Maya to Ana
    for _ in range(2):  # a double-clicked Send: one reply, one new interaction
        reply = tweet_actions.tweet_reply(
            agent=ana, message_id=tweet.pk, text="Found it!", idempotency_key="r1", image=png()
        )
    reply.refresh_from_db()
    new = reply.interaction
    assert new.pk != old.pk and Interaction.objects.count() == 2
    assert (new.kind, new.agent, new.state, new.done_note) == ("twitter", ana, "done", tweet_actions.DONE_NOTE)
    assert (new.thread_key, new.root_tweet_id, new.x_account_id, new.contact_id) == (
        old.thread_key, old.root_tweet_id, old.x_account_id, old.contact_id,
    )  # fmt: skip
    assert (reply.delivery, reply.in_reply_to_external_id) == ("sent", tweet.external_id)
    landed = replies_to(simulator, maya, tweet.external_id)
    assert [r["id"] for r in landed] == [reply.external_id] and landed[0]["media_keys"]

    like = tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l1")
    like.refresh_from_db()
    assert like.delivery == "sent" and like.interaction.state == "done" and like.interaction_id != new.pk
    again = tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l2")
    assert again.pk == like.pk and Interaction.objects.count() == 3  # liked once: no conversation for nothing


def test_the_agents_own_ended_conversation_still_sends(simulator, brand):  # noqa: F811
    maya, tweet = maya_tweets(simulator, brand)
    ana = AgentFactory(first_name="Ana")
    ended = worked_by(tweet.interaction, ana, state="ended")
    reply = tweet_actions.tweet_reply(agent=ana, message_id=tweet.pk, text="One more thing", idempotency_key="r1")
    assert reply.interaction_id == ended.pk and Interaction.objects.count() == 1


def test_another_agents_open_conversation_is_refused_in_words(simulator, brand):  # noqa: F811
    enterprise(brand)
    _, tweet = maya_tweets(simulator, brand)
    worked_by(tweet.interaction, AgentFactory(first_name="Ben"))
    Contact.objects.update(assigned_agent=None)  # Maya is in the shared pool: Ana sees her, Ben has her conversation
    ana = AgentFactory(first_name="Ana")
    with pytest.raises(InteractionError, match="Ben is working this conversation"):
        tweet_actions.tweet_reply(agent=ana, message_id=tweet.pk, text="Hi", idempotency_key="r1")
    with pytest.raises(InteractionError, match="Ben is working this conversation"):
        tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l1")
    assert not Message.objects.filter(direction="out").exists() and Interaction.objects.count() == 1


def test_a_conversation_waiting_in_the_queue_is_refused_in_words(simulator, brand):  # noqa: F811
    _, tweet = maya_tweets(simulator, brand)  # queued: nobody Ready
    with pytest.raises(InteractionError, match="waiting for an agent"):
        tweet_actions.tweet_reply(agent=AgentFactory(), message_id=tweet.pk, text="Hi", idempotency_key="r1")
    assert not Message.objects.filter(direction="out").exists()


def test_self_serve_access_refuses_a_like_and_an_unsummoned_reply_before_anything_is_kept(simulator, brand):  # noqa: F811
    _, tweet = maya_tweets(simulator, brand, text="@acmecare lost bag again, third time")
    Message.objects.filter(pk=tweet.pk).update(summoned=False)  # as if found by keyword search, never addressed
    ana = AgentFactory(first_name="Ana")
    worked_by(tweet.interaction, ana, state="done")
    with pytest.raises(InteractionError, match="removed likes from self-serve access"):
        tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l1")
    with pytest.raises(InteractionError, match="Reply by DM instead"):
        tweet_actions.tweet_reply(agent=ana, message_id=tweet.pk, text="Hi", idempotency_key="r1")
    assert not Message.objects.filter(direction="out").exists() and Interaction.objects.count() == 1


def test_a_tweet_of_a_contact_the_agent_may_not_see_is_not_found(simulator, brand):  # noqa: F811
    enterprise(brand)
    _, tweet = maya_tweets(simulator, brand)
    ben = AgentFactory(first_name="Ben")
    worked_by(tweet.interaction, ben, state="done")  # Maya is Ben's contact now (his first conversation with her)
    ana = AgentFactory(first_name="Ana")
    with pytest.raises(NotYours):
        tweet_actions.tweet_reply(agent=ana, message_id=tweet.pk, text="Hi", idempotency_key="r1")
    with pytest.raises(NotYours):
        tweet_actions.tweet_like(agent=ana, message_id=tweet.pk, idempotency_key="l1")
    with pytest.raises(NotYours):  # a DM is no tweet
        dm = Message.objects.create(interaction=tweet.interaction, direction="in", kind="dm", text="hi")
        tweet_actions.tweet_like(agent=ben, message_id=dm.pk, idempotency_key="l2")
    assert not Message.objects.filter(direction="out").exists()
