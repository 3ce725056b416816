"""The fast path of DM ingest: one page of customer DMs in a few queries instead of a few per event.

Same rules as social.ingest (which stays the reference path): a known event id is a duplicate, a customer's DM
goes to the thread's open Chat interaction or opens one. Any conflict with a concurrent writer raises
IntegrityError; the caller then rolls the page back and takes the one-by-one path, which settles each event.
"""

from django.utils import timezone

from contacts.services import contacts_identify_x_users
from interactions.models import OPEN_STATES, Channel, Interaction, Message
from interactions.sentiment import sentiment_score
from social.integrations.x_client import DMEvent, XUser
from social.models import XAccount


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
    people = []
    for sender_id in dict.fromkeys(e.sender_id for e in fresh):
        user = users.get(sender_id)
        people.append({
            "x_user_id": sender_id, "username": user.username if user else "", "name": user.name if user else "",
            "avatar_url": user.profile_image_url if user else "",
        })  # fmt: skip
    identities = contacts_identify_x_users(people=people)

    threads = {thread_of(e): e for e in fresh}
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
            )  # fmt: skip
            for key, event in threads.items()
            if key not in open_by_thread
        ]
    )
    open_by_thread.update({i.thread_key: i for i in new_interactions})

    messages, worst = [], {}
    for event in fresh:
        interaction = open_by_thread[thread_of(event)]
        score = sentiment_score(event.text)
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
            )  # fmt: skip
        )
        current = worst.get(interaction.pk, interaction.sentiment if interaction.sentiment is not None else 1.0)
        worst[interaction.pk] = min(current, score)
    messages = Message.objects.bulk_create(messages)
    changed = []
    for interaction in open_by_thread.values():
        if interaction.pk in worst and worst[interaction.pk] != interaction.sentiment:
            interaction.sentiment = worst[interaction.pk]
            changed.append(interaction)
    if changed:
        Interaction.objects.bulk_update(changed, ["sentiment"])
    return messages, len(known), new_interactions
