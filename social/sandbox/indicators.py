"""The customer types and reads: the sandbox's `dm.indicate_typing` and `dm.read` events, and the simulator's two
actions that send them (POST simulator/api/typing, simulator/api/read).

X Activity API documents both events without an example; X says its dm.* payloads carry the legacy Account
Activity events, so the payloads are the Account Activity ones (`direct_message_indicate_typing_events`,
`direct_message_mark_read_events`) beside a `users` map shaped as in dm.received. That is an inference from X's
documents, said so in tests/social/fixtures/README.md. Each is delivered, signed, to every webhook subscribed to
that event type for either person of the conversation (webhooks.deliver); nothing is stored in the sandbox.
"""

from django.urls import reverse
from django.utils import timezone

from social.sandbox import webhooks
from social.sandbox.errors import Problem
from social.sandbox.ids import conversation_id
from social.sandbox.models import SandboxDMEvent, SandboxUser
from social.sandbox.simulator import simulator_api

TYPING = "dm.indicate_typing"
READ = "dm.read"


def _milliseconds(when) -> str:
    return str(int(when.timestamp() * 1000))


def _users(origin: str, *people: SandboxUser) -> dict:
    """The users map of X's dm.* payloads: each person as a v2 user under `data`, by id."""
    return {
        person.pk: {"data": {
            "id": person.pk, "name": person.name, "username": person.username,
            "profile_image_url": origin + reverse("x_sandbox:avatar", args=[person.username]),
        }}
        for person in people
    }  # fmt: skip


def typing_payload(*, sender: SandboxUser, recipient: SandboxUser, at, origin: str) -> dict:
    """`sender` is typing a DM to `recipient` (X sends one every few seconds while they type)."""
    event = {"created_timestamp": _milliseconds(at), "sender_id": sender.pk, "target": {"recipient_id": recipient.pk}}
    return {"direct_message_indicate_typing_events": [event], "users": _users(origin, sender, recipient)}


def read_payload(*, sender: SandboxUser, recipient: SandboxUser, last_read_event_id: str, at, origin: str) -> dict:
    """`sender` read their conversation with `recipient` up to the DM event `last_read_event_id`."""
    event = {
        "created_timestamp": _milliseconds(at), "sender_id": sender.pk, "target": {"recipient_id": recipient.pk},
        "last_read_event_id": last_read_event_id,
    }  # fmt: skip
    return {"direct_message_mark_read_events": [event], "users": _users(origin, sender, recipient)}


def sandbox_typing(*, sender: SandboxUser, recipient: SandboxUser) -> None:
    """Tells the conversation's subscribed webhooks that `sender` is typing to `recipient`, after commit."""
    if sender.pk == recipient.pk:
        raise Problem(400, "A user does not type a direct message to themselves.")
    at = timezone.now()
    webhooks.deliver(
        [sender.pk, recipient.pk], TYPING,
        lambda for_user, origin: typing_payload(sender=sender, recipient=recipient, at=at, origin=origin),
    )  # fmt: skip


def sandbox_read(*, reader: SandboxUser, other: SandboxUser, up_to: str = "") -> SandboxDMEvent:
    """`reader` reads their conversation with `other` up to the DM `up_to` (by default the last one `other` sent
    them) and the conversation's subscribed webhooks hear it, after commit. Returns the DM read up to."""
    if reader.pk == other.pk:
        raise Problem(400, "A user has no conversation with themselves to read.")
    conversation = SandboxDMEvent.objects.filter(conversation_id=conversation_id(reader.pk, other.pk))
    if up_to:
        last = conversation.filter(pk=up_to).first()
        if last is None:
            raise Problem(400, f"DM {up_to} is not part of the conversation of {reader} and {other}.")
    else:
        last = conversation.filter(sender=other).order_by("-created_at", "-pk").first()
        if last is None:
            raise Problem(400, f"{other} has sent {reader} no direct message to read.")
    at = timezone.now()
    webhooks.deliver(
        [reader.pk, other.pk], READ,
        lambda for_user, origin: read_payload(
            sender=reader, recipient=other, last_read_event_id=last.pk, at=at, origin=origin
        ),
    )  # fmt: skip
    return last


# --- The simulator's actions ----------------------------------------------------------------------------
def _person(body: dict, key: str) -> SandboxUser:
    user_id = str(body[key])
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None:
        raise Problem(400, f"There is no sandbox user {user_id[:40]}.")
    return user


@simulator_api("POST")
def typing(request, body):
    """{"sender_id", "recipient_id"}: the sender is typing a DM to the recipient (dm.indicate_typing)."""
    sender, recipient = _person(body, "sender_id"), _person(body, "recipient_id")
    sandbox_typing(sender=sender, recipient=recipient)
    return {"typing": sender.pk, "recipient_id": recipient.pk}


@simulator_api("POST")
def read(request, body):
    """{"sender_id", "recipient_id", "last_read_event_id"?}: the sender (the customer) reads their conversation with
    the recipient (the brand) up to that DM, by default the recipient's last one to them (dm.read)."""
    reader, other = _person(body, "sender_id"), _person(body, "recipient_id")
    last = sandbox_read(reader=reader, other=other, up_to=str(body.get("last_read_event_id") or ""))
    return {"read": reader.pk, "recipient_id": other.pk, "last_read_event_id": last.pk}
