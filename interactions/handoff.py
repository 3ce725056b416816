"""From a public tweet to a private DM: Reply by DM (a tweet X would not let the account answer in public) and
Move to DM (a short public reply, then the DM), each leaving both in the contact's history."""

from django.db import transaction

from interactions import outbox
from interactions.channels import service_for
from interactions.errors import InteractionError, NotYours
from interactions.models import Interaction, Message
from interactions.services import interaction_start_chat
from workspace.infra.events import InteractionsChanged
from workspace.infra.push import notify_agent


def _tweet_of(interaction_id: int, agent, tweet_id: str) -> tuple[Interaction, Message]:
    interaction = Interaction.objects.select_related("x_account").filter(pk=interaction_id).first()
    if interaction is None or interaction.agent_id != agent.pk:
        raise NotYours(f"Interaction #{interaction_id} is not yours.")
    tweet = (
        interaction.messages.filter(kind=Message.Kind.TWEET, external_id=tweet_id, direction=Message.Direction.INBOUND)
        .select_related("author_identity")
        .first()
    )
    if tweet is None:
        raise InteractionError("That tweet is not a customer's tweet of this conversation.")
    return interaction, tweet


def _author_contact_id(interaction: Interaction, tweet: Message) -> int:
    return tweet.author_identity.contact_id if tweet.author_identity else interaction.contact_id


def interaction_reply_by_dm(*, interaction_id: int, agent, tweet_id: str) -> Interaction:
    """Reply by DM (a tweet X would not let the account answer in public): the Chat interaction with the tweet's
    author, this agent's and active, where the agent writes the DM; the contact's history holds both. Refused in
    words when X says the author does not accept the account's DMs (asked before any transaction: the channel
    may call X, which must not wait on a lock of ours)."""
    interaction, tweet = _tweet_of(interaction_id, agent, tweet_id)
    if refusal := service_for(interaction.kind).dm_refusal(interaction=interaction, tweet=tweet):
        raise outbox.OutboxRefused(f"{refusal}, and X does not let the account answer this tweet in public.")
    with transaction.atomic():
        return _chat_with_author(interaction, tweet, agent)


def _chat_with_author(interaction: Interaction, tweet: Message, agent) -> Interaction:
    """The author's Chat interaction, this agent's; their tabs list it at once (the clicked button may be gone by
    the time the answer arrives — a live refresh of the tweet tree replaced it — so its event would reach no list)."""
    chat = interaction_start_chat(contact_id=_author_contact_id(interaction, tweet), agent=agent)
    notify_agent(agent.pk, InteractionsChanged(interaction_id=chat.pk))
    return chat


def interaction_move_to_dm(*, interaction_id: int, agent, tweet_id: str, idempotency_key: str) -> Interaction:
    """Move to DM: one short public reply under the tweet (the account's canned text, e.g. "We've sent you a DM"),
    then the Chat interaction with its author for the private answer — in the contact's history in that order.
    Both or neither: a refused reply (X's rules, said in words) opens no DM, and nothing is promised in public to
    someone X says does not accept the account's DMs (asked before the transaction, as for Reply by DM)."""
    interaction, tweet = _tweet_of(interaction_id, agent, tweet_id)
    if refusal := service_for(interaction.kind).dm_refusal(interaction=interaction, tweet=tweet):
        raise outbox.OutboxRefused(f"{refusal}: Move to DM would promise a DM X will not deliver; reply in public.")
    with transaction.atomic():
        outbox.outbox_reply(
            interaction_id=interaction.pk, agent=agent, in_reply_to_tweet_id=tweet_id,
            text=interaction.x_account.move_to_dm_text, idempotency_key=idempotency_key,
        )  # fmt: skip
        return _chat_with_author(interaction, tweet, agent)
