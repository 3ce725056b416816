"""The fast path of DM ingest: one page of customer DMs in a few queries instead of a few per event.

Same rules as social.ingest (which stays the reference path): a known event id is a duplicate, a customer's DM
goes to the thread's open Chat interaction or opens one. Any conflict with a concurrent writer raises
IntegrityError; the caller then rolls the page back and takes the one-by-one path, which settles each event.
"""

from dataclasses import dataclass

from django.utils import timezone

from contacts.services import contacts_identify_x_users
from interactions.models import OPEN_STATES, Channel, Interaction, Message
from interactions.sentiment import sentiment_score
from social.integrations.x_client import DMEvent, Tweet, XUser
from social.models import XAccount


def people_of(x_user_ids: list[str], users: dict[str, XUser]) -> list[dict]:
    people = []
    for x_user_id in dict.fromkeys(x_user_ids):
        user = users.get(x_user_id)
        people.append({
            "x_user_id": x_user_id, "username": user.username if user else "", "name": user.name if user else "",
            "avatar_url": user.profile_image_url if user else "",
        })  # fmt: skip
    return people


def ingest_customer_dms(
    *, account: XAccount, events: list[DMEvent], users: dict[str, XUser], thread_of, author_of, media_of
) -> tuple[list[Message], int, list[Interaction]]:
    """Stores customer DMs; returns (new messages, duplicates, interactions opened)."""
    known = set(
        Message.objects.filter(
            x_account=account, kind=Message.Kind.DM, external_id__in=[e.id for e in events]
        ).values_list("external_id", flat=True)
    )
    fresh = [e for e in events if e.id not in known]
    if not fresh:
        return [], len(known), []
    identities = contacts_identify_x_users(people=people_of([e.sender_id for e in fresh], users))

    plan = [
        Planned(
            thread_key=thread_of(event),
            contact_id=identities[event.sender_id].contact_id,
            root_tweet_id="",
            sentiment=sentiment_score(event.text),
            fields={
                "kind": Message.Kind.DM,
                "external_id": event.id,
                "text": event.text,
                "media": media_of(event.media),
                "created_at": event.created_at or timezone.now(),
                "author": author_of(users.get(event.sender_id), event.sender_id),
                "author_identity": identities[event.sender_id],
            },
        )
        for event in fresh
    ]
    messages, opened = _store_page(account, Channel.CHAT, plan)
    return messages, len(known), opened


def ingest_customer_tweets(
    *, account: XAccount, tweets: list[Tweet], users: dict[str, XUser], fields_of
) -> tuple[list[Message], int, list[Interaction]]:
    """Stores customer tweets of one page (oldest first) with the branch rules of social.ingest._branch_for:
    a reply continues its parent's branch unless the parent already has a reply, which forks a new branch."""
    known = set(
        Message.objects.filter(
            x_account=account, kind=Message.Kind.TWEET, external_id__in=[t.id for t in tweets]
        ).values_list("external_id", flat=True)
    )
    fresh = [t for t in tweets if t.id not in known]
    if not fresh:
        return [], len(known), []
    identities = contacts_identify_x_users(people=people_of([t.author_id for t in fresh], users))
    parent_ids = {t.replied_to_id for t in fresh if t.replied_to_id}
    branch_of = {
        m.external_id: (m.interaction.thread_key, m.interaction.contact_id, m.interaction.root_tweet_id)
        for m in Message.objects.select_related("interaction").filter(
            x_account=account, kind=Message.Kind.TWEET, external_id__in=parent_ids
        )
    }
    answered = set(
        Message.objects.filter(
            x_account=account, kind=Message.Kind.TWEET, in_reply_to_external_id__in=parent_ids
        ).values_list("in_reply_to_external_id", flat=True)
    )
    plan = []
    for tweet in fresh:
        parent = tweet.replied_to_id
        if parent in branch_of and parent not in answered:
            branch = branch_of[parent]
        else:
            branch = (tweet.id, identities[tweet.author_id].contact_id, tweet.conversation_id or tweet.id)
        if parent:
            answered.add(parent)
        branch_of[tweet.id] = branch
        plan.append((tweet, branch))

    planned = [
        Planned(
            thread_key=key,
            contact_id=contact_id,
            root_tweet_id=root,
            sentiment=sentiment_score(tweet.text),
            fields={"author_identity": identities[tweet.author_id], **fields_of(tweet, users)},
        )
        for tweet, (key, contact_id, root) in plan
    ]
    messages, opened = _store_page(account, Channel.TWITTER, planned)
    return messages, len(known), opened


@dataclass
class Planned:
    """One new customer message and the thread it belongs to."""

    thread_key: str
    contact_id: int
    root_tweet_id: str
    sentiment: float
    fields: dict


def _store_page(account: XAccount, kind: str, plan: list[Planned]) -> tuple[list[Message], list[Interaction]]:
    """Each thread's open interaction (or a new queued one, with the worst sentiment of its messages), then
    every message in one insert. Returns (messages, interactions opened)."""
    worst_new: dict[str, float] = {}
    for item in plan:
        worst_new[item.thread_key] = min(worst_new.get(item.thread_key, 1.0), item.sentiment)
    open_by_thread = {
        i.thread_key: i
        for i in Interaction.objects.select_for_update().filter(
            x_account=account, kind=kind, thread_key__in=list(worst_new), state__in=OPEN_STATES
        )
    }
    now, first = timezone.now(), {}
    for item in plan:
        first.setdefault(item.thread_key, item)
    opened = Interaction.objects.bulk_create(
        [
            Interaction(
                x_account=account, kind=kind, thread_key=key, contact_id=item.contact_id,
                root_tweet_id=item.root_tweet_id, queued_at=now, sentiment=worst_new[key],
            )
            for key, item in first.items()
            if key not in open_by_thread
        ]
    )  # fmt: skip
    open_by_thread.update({i.thread_key: i for i in opened})
    messages, worst = [], {}
    for item in plan:
        interaction = open_by_thread[item.thread_key]
        messages.append(
            Message(interaction=interaction, x_account=account, direction=Message.Direction.INBOUND,
                    sentiment=item.sentiment, **item.fields)
        )  # fmt: skip
        current = worst.get(interaction.pk, interaction.sentiment if interaction.sentiment is not None else 1.0)
        worst[interaction.pk] = min(current, item.sentiment)
    messages = Message.objects.bulk_create(messages)
    _keep_worst_sentiment(open_by_thread.values(), worst)
    return messages, opened


def _keep_worst_sentiment(interactions, worst: dict[int, float]) -> None:
    changed = []
    for interaction in interactions:
        if interaction.sentiment_overridden:  # an agent's own reading stands
            continue
        if interaction.pk in worst and worst[interaction.pk] != interaction.sentiment:
            interaction.sentiment = worst[interaction.pk]
            changed.append(interaction)
    if changed:
        Interaction.objects.bulk_update(changed, ["sentiment"])
