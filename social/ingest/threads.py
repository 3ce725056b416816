"""Which conversation an X event belongs to: the DM thread of two users, the branch of a reply tweet.

These rules are written once, here: both paths of ingest (a page at once, one event at a time) ask them, for
events from polling and from webhooks alike.
"""

from dataclasses import dataclass

from interactions.models import Interaction, Message
from social.integrations.x_client import DMEvent, Tweet
from social.models import XAccount


def dm_thread_key(user_a_id: str, user_b_id: str) -> str:
    """X's id of the 1:1 DM conversation of two users, Perch's thread key of their Chat interactions: the lower
    user id, a dash, the higher one (compared as numbers)."""
    low, high = sorted([str(user_a_id), str(user_b_id)], key=int)
    return f"{low}-{high}"


def dm_thread(account: XAccount, event: DMEvent) -> str:
    """The thread of a DM: the conversation X names (v2 events do), else the brand's with the other person
    (Account Activity events name none)."""
    if event.conversation_id:
        return event.conversation_id
    others = [p for p in (event.sender_id, *event.participant_ids) if p and p != account.x_user_id]
    return dm_thread_key(account.x_user_id, others[0] if others else "0")


@dataclass(frozen=True)
class Branch:
    """One branch of a tweet conversation: its interactions' thread key, contact and root tweet."""

    thread_key: str
    contact_id: int
    root_tweet_id: str

    @classmethod
    def of(cls, interaction: Interaction) -> "Branch":
        return cls(interaction.thread_key, interaction.contact_id, interaction.root_tweet_id)


def branch_for(tweet: Tweet, *, contact_id: int, parent: Branch | None, parent_answered: bool) -> Branch:
    """The branch a customer tweet belongs to. A reply to a known tweet continues that tweet's branch, unless the
    tweet already has a reply: then the conversation forks and this tweet starts a branch of its own, as does a
    tweet that answers nothing Perch knows."""
    if parent is not None and not parent_answered:
        return parent
    return Branch(thread_key=tweet.id, contact_id=contact_id, root_tweet_id=tweet.conversation_id or tweet.id)


def known_branches(account: XAccount, tweet_ids) -> dict[str, Branch]:
    """The branches of the stored tweets among `tweet_ids`, by tweet id."""
    return {
        m.external_id: Branch.of(m.interaction)
        for m in Message.objects.select_related("interaction").filter(
            x_account=account, kind=Message.Kind.TWEET, external_id__in=tweet_ids
        )
    }


def answered(account: XAccount, tweet_ids) -> set[str]:
    """The tweets among `tweet_ids` that a stored tweet replies to."""
    return set(
        Message.objects.filter(
            x_account=account, kind=Message.Kind.TWEET, in_reply_to_external_id__in=tweet_ids
        ).values_list("in_reply_to_external_id", flat=True)
    )
