"""Direct messages → Perch: a customer's DM goes to its thread's open Chat interaction or opens one; the brand's
own DMs (sent from Perch or from X's app) are part of the conversation, never new work; a DM X sent without its
sender is kept as a RejectedEvent.

Customer DMs of a page go in one batch, in a few queries instead of a few per event; the brand's own DMs, and
every event of a page whose batch met a conflict, go one by one (each in its own savepoint), which settles each
event.
"""

from dataclasses import asdict

from interactions.models import Channel, Interaction, Message
from interactions.sentiment import sentiment_score
from social import sending
from social.ingest.store import (
    IngestResult,
    Planned,
    identify,
    identify_all,
    in_batch,
    message_fields,
    once,
    open_interaction,
    route_new_work,
    store_message,
    store_page,
    unseen,
    without_author,
)
from social.ingest.threads import dm_thread
from social.integrations.x_client import DMEvent, XUser
from social.models import XAccount


def ingest_dm_events(*, account: XAccount, events: list[DMEvent], users: dict[str, XUser]) -> IngestResult:
    """Stores a page of DM events (the caller holds the transaction); the queue is routed after commit."""
    result = IngestResult()
    batch, one_by_one = [], []
    for event in sorted(events, key=lambda e: int(e.id)):
        if event.event_type != "MessageCreate":
            result.skipped += 1
        elif without_author(result, account, "dm_events", event, what="DM event", field="sender_id", name="sender"):
            continue  # whose it is cannot be told, not even from a 1:1 conversation's id (it names both people)
        elif event.sender_id != account.x_user_id:
            batch.append(event)
        else:
            one_by_one.append(event)
    if batch and not in_batch(result, lambda: ingest_customer_dms(account=account, events=batch, users=users)):
        one_by_one = sorted(batch + one_by_one, key=lambda e: int(e.id))
    for event in one_by_one:
        once(result, account, "dm_events", asdict(event), lambda e=event: _ingest_dm(account, e, users, result))
    return route_new_work(result)


def _dm_fields(event: DMEvent, users: dict[str, XUser]) -> dict:
    return message_fields(
        kind=Message.Kind.DM, external_id=event.id, text=event.text, media=event.media, created_at=event.created_at,
        author_id=event.sender_id, users=users,
    )  # fmt: skip


def ingest_customer_dms(
    *, account: XAccount, events: list[DMEvent], users: dict[str, XUser]
) -> tuple[list[Message], int, list[Interaction]]:
    """Stores a page of customer DMs at once; returns (new messages, duplicates, interactions opened)."""
    fresh, duplicates = unseen(account, Message.Kind.DM, events)
    if not fresh:
        return [], duplicates, []
    identities = identify_all([e.sender_id for e in fresh], users)
    plan = [
        Planned(
            thread_key=dm_thread(account, event),
            contact_id=identities[event.sender_id].contact_id,
            root_tweet_id="",
            sentiment=sentiment_score(event.text),
            fields={**_dm_fields(event, users), "author_identity": identities[event.sender_id]},
        )
        for event in fresh
    ]
    messages, opened = store_page(account, Channel.CHAT, plan)
    return messages, duplicates, opened


def _ingest_dm(account: XAccount, event: DMEvent, users: dict[str, XUser], result: IngestResult) -> None:
    thread = dm_thread(account, event)
    fields = _dm_fields(event, users)
    if event.sender_id == account.x_user_id:
        # X's copy of a DM sent from Perch makes its outbox row sent (a worker may still be waiting for X's answer,
        # or have died waiting); one sent from X's own app is part of the conversation, never new work.
        if sending.outbox_echo(
            account=account, kind=Message.Kind.DM, external_id=event.id, text=event.text, at=fields["created_at"],
            thread_key=thread,
        ):  # fmt: skip
            return
        interaction = (
            Interaction.objects.filter(x_account=account, kind=Channel.CHAT, thread_key=thread)
            .order_by("-opened_at")
            .first()
        )
        if interaction is None:
            result.skipped += 1
            return
        store_message(
            interaction,
            result,
            direction=Message.Direction.OUTBOUND,
            delivery=Message.Delivery.SENT,
            sent_at=fields["created_at"],
            **fields,
        )
        return
    identity = identify(event.sender_id, users)
    interaction = open_interaction(
        account=account, kind=Channel.CHAT, thread_key=thread, contact_id=identity.contact_id
    )
    store_message(
        interaction,
        result,
        direction=Message.Direction.INBOUND,
        author_identity=identity,
        sentiment=sentiment_score(event.text),
        **fields,
    )
