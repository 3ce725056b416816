"""Writing to a contact outside a live conversation (the Connect view): Write a message and the notifications
supervisors prepare, each sent on the contact's default outbound channel through the outbox.

X (a DM, under X's rate budget and prices) and Email send; SMS and WhatsApp are channels a contact may have, and
say they are not connected instead of pretending to send. An email lives in an Email interaction of its own, done at
once (as a DM written outside a conversation does, services.interaction_write_async): the transcript shows it, and
nothing is routed.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.identities import CAN_SEND, channel_label
from contacts.models import Contact, IdentityChannel
from interactions import outbox, services
from interactions.canned import placeholders_fill
from interactions.channels import service_for
from interactions.errors import InteractionError, NotYours
from interactions.models import Channel, Interaction, InteractionKind, InteractionState, Message, NotificationTemplate
from interactions.text import EMAIL_SUBJECT_MAX_LENGTH
from interactions.visibility import visible_contacts

EMAIL_NOTE = "Written from the Connect view."


def _contact(contact_id: int, agent) -> Contact:
    """The contact, if this agent may see them (the visibility rule): anyone else's is refused like a missing one."""
    contact = visible_contacts(agent=agent).filter(pk=contact_id).first()
    if contact is None:
        raise NotYours(f"Contact #{contact_id} is not one of yours.")
    return contact


def _refuse_unless_connected(channel: str) -> None:
    """One list of the channels that send (contacts.identities): SMS, WhatsApp and Chat say they are not connected."""
    if channel not in CAN_SEND:
        raise InteractionError(f"{channel_label(channel)} is not connected: pick X or Email as the default channel.")


def _brand(contact):
    """The X account that speaks for the brand to this contact (the one they last talked to, else the only one),
    or None when Perch cannot tell (an email-only contact, several accounts)."""
    try:
        return service_for(Channel.CHAT).address_dm(contact).x_account
    except InteractionError:
        return None


def contact_write(*, contact_id: int, agent, text: str, idempotency_key: str, image: bytes | None = None) -> Message:
    """Write a message: on X a DM (joining the agent's open chat with the contact, if any); by Email an email
    ("Message from <brand>"). Images go by X DM only."""
    contact = _contact(contact_id, agent)
    channel = contact.default_outbound_channel
    _refuse_unless_connected(channel)
    if channel == IdentityChannel.EMAIL:
        if image:
            raise InteractionError("Images go by X DM only: send the text by email, or make X the default channel.")
        brand = _brand(contact)
        sender = brand.name if brand else agent.get_full_name() or agent.get_username()
        return _email(contact_id=contact_id, agent=agent, subject=f"Message from {sender}", text=text,
                      idempotency_key=idempotency_key)  # fmt: skip
    return services.interaction_write_async(
        contact_id=contact_id, agent=agent, text=text, idempotency_key=idempotency_key, image=image
    )


@transaction.atomic
def _email(*, contact_id: int, agent, subject: str, text: str, idempotency_key: str) -> Message:
    """An email in an Email interaction of its own, done at once; a second click (the same key) gets the first
    click's message, and no second interaction."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)  # a concurrent double-click waits here
    existing = Message.objects.filter(idempotency_key=idempotency_key, author_agent=agent).first()
    if existing:
        return existing
    address = service_for(InteractionKind.EMAIL).address_dm(contact)  # refused in words without an address
    now = timezone.now()
    interaction = Interaction.objects.create(
        kind=InteractionKind.EMAIL, contact=contact, x_account=None, agent=agent, state=InteractionState.ENDED,
        thread_key=address.thread_key, queued_at=now, accepted_at=now, ended_at=now, ended_by=Interaction.EndedBy.AGENT,
    )  # fmt: skip
    message = outbox.outbox_send_email(
        interaction_id=interaction.pk, agent=agent, subject=subject, text=text, idempotency_key=idempotency_key
    )
    services.interaction_mark_done(interaction_id=interaction.pk, agent=agent, note=EMAIL_NOTE)
    return message


def notification_templates_for(*, agent):
    """The active templates this agent may send: everyone's, and their teams'."""
    return NotificationTemplate.objects.filter(
        Q(team__isnull=True) | Q(team__agents__user=agent), is_active=True
    ).distinct()


def contact_notify(*, contact_id: int, agent, template_id: int, idempotency_key: str) -> Message:
    """Sends one notification template to the contact, its placeholders filled: on the template's channel if it
    names one, else on the contact's default outbound channel. A template of a team the agent is not in (or one
    switched off) is refused, never sent."""
    template = notification_templates_for(agent=agent).filter(pk=template_id).first()
    if template is None:
        raise NotYours(f"Notification #{template_id} is not one you may send.")
    contact = _contact(contact_id, agent)
    channel = template.channel or contact.default_outbound_channel
    _refuse_unless_connected(channel)
    brand = _brand(contact)

    def fill(text: str) -> str:
        return placeholders_fill(text, contact=contact, agent=agent, brand_handle=brand.handle if brand else "")

    text = fill(template.text)
    if channel == IdentityChannel.TWITTER:
        return services.interaction_write_async(
            contact_id=contact.pk, agent=agent, text=text, idempotency_key=idempotency_key
        )
    subject = " ".join(fill(template.subject or template.name).split())  # one line, whatever a name holds
    if len(subject) > EMAIL_SUBJECT_MAX_LENGTH:
        subject = subject[: EMAIL_SUBJECT_MAX_LENGTH - 1] + "…"
    return _email(contact_id=contact.pk, agent=agent, subject=subject, text=text, idempotency_key=idempotency_key)
