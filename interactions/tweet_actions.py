"""Reply and Like on a contact's tweet from the Connect view, outside a live conversation.

Which interaction sends it: the tweet's own, when it is this agent's and still sendable (the outbox there, as in
the workspace); none while another agent works the thread or it waits in the queue (refused in words: theirs, or
the routing's, to answer); otherwise a new Twitter interaction of this agent for the same thread, ended and done at
once like a DM written from the Connect view (services.interaction_write_async), which holds the reply or the Like.
The customer's answer then arrives as new work, routed as usual. X's access rules refuse before anything is kept.
"""

from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from interactions import outbox
from interactions.errors import NotYours
from interactions.models import OPEN_STATES, Channel, Interaction, InteractionState, Message
from interactions.services import interaction_mark_done
from interactions.visibility import visible_contacts

DONE_NOTE = "Answered from the Connect view."


def _visible_tweet(*, agent, message_id: int) -> Message:
    """The tweet, if it is one of a contact this agent may see (interactions.visibility), and on X."""
    tweet = (
        Message.objects.filter(pk=message_id, kind=Message.Kind.TWEET, interaction__kind=Channel.TWITTER)
        .filter(interaction__contact__in=visible_contacts(agent=agent))
        .select_related("interaction__x_account")
        .first()
    )
    if tweet is None:
        raise NotYours(f"No such tweet #{message_id}.")
    if not tweet.external_id:
        raise outbox.OutboxRefused("This tweet is not on X yet: answer it once it shows Sent.")
    return tweet


def _name(agent) -> str:
    return agent.first_name or agent.get_username()


def thread_refusal(*, live: Interaction, agent) -> str:
    """Why `agent` may not answer on a thread while `live`, an open interaction of it, is someone's work or waits
    ("" when it is theirs and active). The Connect view says it on the thread's tweets before anyone clicks."""
    if live.state not in OPEN_STATES or (live.agent_id == agent.pk and live.state == InteractionState.ACTIVE):
        return ""
    if live.agent_id and live.state == InteractionState.ACTIVE:
        return f"{_name(live.agent)} is working this conversation: it is theirs to answer."
    return "This conversation is waiting for an agent: it is answered by whoever accepts it when it is offered."


def _sender(*, tweet: Message, agent) -> Interaction | None:
    """The interaction that sends on the tweet's thread now, or None when a new one must; refuses (in words) a
    thread someone else has in hand. Called with the contact locked, so two clicks cannot both start one."""
    thread = Interaction.objects.select_for_update(of=("self",)).filter(
        x_account=tweet.interaction.x_account_id, kind=Channel.TWITTER, thread_key=tweet.interaction.thread_key
    )
    live = thread.filter(state__in=OPEN_STATES).select_related("agent").first()
    if live is not None:
        if refusal := thread_refusal(live=live, agent=agent):
            raise outbox.OutboxRefused(refusal)
        return live
    mine = thread.filter(pk=tweet.interaction_id, agent=agent, state__in=outbox.SENDABLE_STATES).first()
    return mine  # this agent's ended conversation still sends; anyone else's, or a done one, gets a new one


def _new_interaction(tweet: Message, agent) -> Interaction:
    now = timezone.now()
    return Interaction.objects.create(
        kind=Channel.TWITTER, contact_id=tweet.interaction.contact_id, x_account_id=tweet.interaction.x_account_id,
        agent=agent, state=InteractionState.ENDED, thread_key=tweet.interaction.thread_key,
        root_tweet_id=tweet.interaction.root_tweet_id, queued_at=now, accepted_at=now, ended_at=now,
        ended_by=Interaction.EndedBy.AGENT,
    )  # fmt: skip


def _queue(*, tweet: Message, agent, kind: str, idempotency_key: str, send) -> Message:
    """Refuses what X would refuse, then queues `send(interaction_id)` on the interaction that sends it."""
    outbox._refuse_if_channel_would(tweet.interaction, kind, tweet)
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=tweet.interaction.contact_id).first()  # double-clicks wait here
        existing = Message.objects.filter(idempotency_key=idempotency_key, author_agent=agent).first()
        if existing:
            return existing
        if kind == Message.Kind.LIKE:  # a tweet is liked once: no new conversation only to hold a second Like
            liked = Message.objects.filter(
                x_account=tweet.interaction.x_account_id, kind=Message.Kind.LIKE, external_id=tweet.external_id
            ).first()
            if liked:
                return liked
        sender = _sender(tweet=tweet, agent=agent)
        if sender is not None:
            return send(sender.pk)
        interaction = _new_interaction(tweet, agent)
        message = send(interaction.pk)
        interaction_mark_done(interaction_id=interaction.pk, agent=agent, note=DONE_NOTE)
        return message


def tweet_reply(*, agent, message_id: int, text: str, idempotency_key: str, image: bytes | None = None) -> Message:
    """A public reply to one of a contact's tweets (a Message id), from the Connect view; the outbox sends it."""
    tweet = _visible_tweet(agent=agent, message_id=message_id)
    return _queue(
        tweet=tweet, agent=agent, kind=Message.Kind.TWEET, idempotency_key=idempotency_key,
        send=lambda interaction_id: outbox.outbox_reply(
            interaction_id=interaction_id, agent=agent, in_reply_to_tweet_id=tweet.external_id, text=text,
            idempotency_key=idempotency_key, image=image,
        ),
    )  # fmt: skip


def tweet_like(*, agent, message_id: int, idempotency_key: str) -> Message:
    """A Like of one of a contact's tweets (a Message id), from the Connect view; the outbox sends it."""
    tweet = _visible_tweet(agent=agent, message_id=message_id)
    return _queue(
        tweet=tweet, agent=agent, kind=Message.Kind.LIKE, idempotency_key=idempotency_key,
        send=lambda interaction_id: outbox.outbox_like(
            interaction_id=interaction_id, agent=agent, tweet_id=tweet.external_id, idempotency_key=idempotency_key
        ),
    )  # fmt: skip
