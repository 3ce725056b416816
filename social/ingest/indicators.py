"""X's typing and read receipts (the X Activity API's `dm.indicate_typing` and `dm.read`) → Perch.

The webhook view calls `receive` inside the delivery's transaction, once it has checked the signature and made the
delivery idempotent by its event_uuid. A read receipt makes the brand's DMs of that conversation Seen; typing is a
push only, nothing is stored. The conversation is the DM thread of the brand and the event's sender (threads.py,
as for DMs): an event the brand's own app sent, one addressed to another user, or one naming a DM of another
conversation changes nothing, and says why in `Received.unchanged`. A payload that cannot be understood raises
PayloadError, which the view keeps as a RejectedEvent: never a 500.
"""

import logging
from dataclasses import dataclass, field

from interactions.indicators import interaction_typing, messages_mark_seen
from social.ingest.threads import dm_thread_key
from social.integrations.x_indicators import ReadEvent, TypingEvent, parse_indications
from social.models import XAccount
from workspace.infra.logs import log_event

log = logging.getLogger("social.ingest")


@dataclass
class Received:
    seen: list[int] = field(default_factory=list)  # messages that became Seen
    typing_told: list[int] = field(default_factory=list)  # agents told the customer is typing
    unchanged: list[str] = field(default_factory=list)  # why an event changed nothing, one line each


def receive(*, account: XAccount, event_type: str, payload: dict, includes: dict) -> Received:
    """Acts on one `dm.read` or `dm.indicate_typing` delivery's payload for the brand's account (the caller holds
    the transaction; pushes go after commit). `includes` is the envelope's: these events need nothing from it."""
    indications = parse_indications(event_type, payload)
    result = Received()
    typing_threads: list[str] = []
    for event in indications.events:
        if why := _not_about_the_brand(account, event):
            result.unchanged.append(why)
            continue
        thread = dm_thread_key(account.x_user_id, event.sender_id)
        if isinstance(event, ReadEvent):
            seen = messages_mark_seen(
                x_account_id=account.pk, thread_key=thread, up_to_external_id=event.last_read_event_id,
                at=event.created_at,
            )  # fmt: skip
            result.seen += seen.message_ids
            if seen.unchanged:
                result.unchanged.append(f"read receipt for DM {event.last_read_event_id}: {seen.unchanged}")
        elif thread not in typing_threads:  # X may batch several typing events of one person: one push each
            typing_threads.append(thread)
            typing = interaction_typing(x_account_id=account.pk, thread_key=thread)
            result.typing_told += typing.agent_ids
            if typing.unchanged:
                result.unchanged.append(f"typing in {thread}: {typing.unchanged}")
    log_event(
        log, "indicators.received", account_id=account.pk, event_type=indications.event_type,
        events=len(indications.events), seen=len(result.seen), typing_told=len(result.typing_told),
        unchanged=len(result.unchanged),
    )  # fmt: skip
    return result


def _not_about_the_brand(account: XAccount, event: TypingEvent | ReadEvent) -> str:
    """Why the event says nothing about one of the brand's conversations with a customer ("" when it does)."""
    what = "read receipt" if isinstance(event, ReadEvent) else "typing"
    if event.sender_id == account.x_user_id:
        return f"{what} from the brand's own X app"  # the brand reading or typing is no news to its agents
    if event.recipient_id != account.x_user_id:
        return f"{what} from X user {event.sender_id} addressed to X user {event.recipient_id}, not the brand"
    return ""
