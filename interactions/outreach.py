"""Writing to a contact outside a live conversation (the Connect view): Write a message and the notifications
supervisors prepare, each sent on the contact's default outbound channel through the outbox.

X (a DM, under X's rate budget and prices) and Email send; SMS and WhatsApp are channels a contact may have, and
say they are not connected instead of pretending to send.
"""

from django.db.models import Q

from contacts.models import Contact, IdentityChannel
from interactions import services
from interactions.errors import InteractionError
from interactions.models import Message, NotificationTemplate

NOT_CONNECTED = {IdentityChannel.SMS: "SMS", IdentityChannel.WHATSAPP: "WhatsApp", IdentityChannel.CHAT: "Chat"}


def _default_channel(contact_id: int) -> str:
    contact = Contact.objects.filter(pk=contact_id).only("default_outbound_channel").first()
    if contact is None:
        raise InteractionError(f"Contact #{contact_id} does not exist.")
    channel = contact.default_outbound_channel
    if channel in NOT_CONNECTED:
        raise InteractionError(f"{NOT_CONNECTED[channel]} is not connected: pick X or Email as the default channel.")
    return channel


def contact_write(*, contact_id: int, agent, text: str, idempotency_key: str, image: bytes | None = None) -> Message:
    """Write a message: on X a DM (joining the agent's open chat with the contact, if any); by Email an email."""
    channel = _default_channel(contact_id)
    if channel == IdentityChannel.EMAIL:
        raise InteractionError("Email is not connected yet.")  # the email channel lands next
    return services.interaction_write_async(
        contact_id=contact_id, agent=agent, text=text, idempotency_key=idempotency_key, image=image
    )


def notification_templates_for(*, agent):
    """The active templates this agent may send: everyone's, and their teams'."""
    return NotificationTemplate.objects.filter(
        Q(team__isnull=True) | Q(team__agents__user=agent), is_active=True
    ).distinct()


def contact_notify(*, contact_id: int, agent, template_id: int, idempotency_key: str) -> Message:
    """Sends one notification template to the contact on their default outbound channel (placeholders filled)."""
    raise InteractionError("Notifications are not connected yet.")  # lands with the email channel
