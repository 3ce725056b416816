"""The fast path of DM ingest: one page of customer DMs in a few queries instead of a few per event.

Same rules as social.ingest (which stays the reference path): a known event id is a duplicate, a customer's DM
goes to the thread's open Chat interaction or opens one. Any conflict with a concurrent writer raises
IntegrityError; the caller then rolls the page back and takes the one-by-one path, which settles each event.
"""

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

    threads = {thread_of(e): e for e in fresh}
    scores = {e.id: sentiment_score(e.text) for e in fresh}
    worst_new = {}
    for event in fresh:
        key = thread_of(event)
        worst_new[key] = min(worst_new.get(key, 1.0), scores[event.id])
    open_by_thread = {
        i.thread_key: i
        for i in Interaction.objects.select_for_update().filter(
            x_account=account, kind=Channel.CHAT, thread_key__in=list(threads), state__in=OPEN_STATES
        )
    }
    now = timezone.now()
    new_interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                x_account=account,
                kind=Channel.CHAT,
                thread_key=key,
                queued_at=now,
                contact=identities[event.sender_id].contact,
                sentiment=worst_new[key],
            )
            for key, event in threads.items()
            if key not in open_by_thread
        ]
    )
    open_by_thread.update({i.thread_key: i for i in new_interactions})

    messages, worst = [], {}
    for event in fresh:
        interaction = open_by_thread[thread_of(event)]
        score = scores[event.id]
        messages.append(
            Message(
                interaction=interaction,
                x_account=account,
                direction=Message.Direction.INBOUND,
                kind=Message.Kind.DM,
                external_id=event.id,
                text=event.text,
                media=media_of(event.media),
                created_at=event.created_at or now,
                author=author_of(users.get(event.sender_id), event.sender_id),
                author_identity=identities[event.sender_id],
                sentiment=score,
            )
        )
        current = worst.get(interaction.pk, interaction.sentiment if interaction.sentiment is not None else 1.0)
        worst[interaction.pk] = min(current, score)
    messages = Message.objects.bulk_create(messages)
    _keep_worst_sentiment(open_by_thread.values(), worst)
    return messages, len(known), new_interactions


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

    keys = {branch[0]: branch for _, branch in plan}
    scores = {t.id: sentiment_score(t.text) for t in fresh}
    worst_new = {}
    for tweet, branch in plan:
        worst_new[branch[0]] = min(worst_new.get(branch[0], 1.0), scores[tweet.id])
    open_by_thread = {
        i.thread_key: i
        for i in Interaction.objects.select_for_update().filter(
            x_account=account, kind=Channel.TWITTER, thread_key__in=list(keys), state__in=OPEN_STATES
        )
    }
    now = timezone.now()
    opened = Interaction.objects.bulk_create(
        [
            Interaction(
                x_account=account,
                kind=Channel.TWITTER,
                thread_key=key,
                contact_id=contact_id,
                root_tweet_id=root,
                queued_at=now,
                sentiment=worst_new[key],
            )
            for key, (_, contact_id, root) in keys.items()
            if key not in open_by_thread
        ]
    )
    open_by_thread.update({i.thread_key: i for i in opened})
    messages, worst = [], {}
    for tweet, branch in plan:
        interaction = open_by_thread[branch[0]]
        score = scores[tweet.id]
        messages.append(
            Message(
                interaction=interaction,
                x_account=account,
                direction=Message.Direction.INBOUND,
                author_identity=identities[tweet.author_id],
                sentiment=score,
                **fields_of(tweet, users),
            )
        )
        current = worst.get(interaction.pk, interaction.sentiment if interaction.sentiment is not None else 1.0)
        worst[interaction.pk] = min(current, score)
    messages = Message.objects.bulk_create(messages)
    _keep_worst_sentiment(open_by_thread.values(), worst)
    return messages, len(known), opened


def _keep_worst_sentiment(interactions, worst: dict[int, float]) -> None:
    changed = []
    for interaction in interactions:
        if interaction.pk in worst and worst[interaction.pk] != interaction.sentiment:
            interaction.sentiment = worst[interaction.pk]
            changed.append(interaction)
    if changed:
        Interaction.objects.bulk_update(changed, ["sentiment"])
