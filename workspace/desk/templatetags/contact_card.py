"""What the contact card shows of a contact: one row per identity, in the same order everywhere (X, Email, SMS,
WhatsApp, Chat), the default outbound one marked, and the picture X gave (an http(s) URL, else the initial)."""

from dataclasses import dataclass

import phonenumbers
from django import template

from contacts.identities import CAN_SEND, NOT_CONNECTED, channel_label
from contacts.models import IdentityChannel

register = template.Library()

ORDER = [IdentityChannel.TWITTER, IdentityChannel.EMAIL, IdentityChannel.SMS, IdentityChannel.WHATSAPP,
         IdentityChannel.CHAT]  # fmt: skip
ICONS = {"twitter": "𝕏", "email": "✉", "sms": "✆", "whatsapp": "✆", "chat": "…"}


@dataclass(frozen=True)
class ChannelRow:
    identity: object
    channel: str
    label: str
    icon: str
    value: str  # what the agent reads: @handle, the address, +44 20 7946 0958
    detail: str  # the X user id under the handle
    is_default: bool
    not_connected: bool


def _readable_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@register.simple_tag
def channel_rows(contact) -> list[ChannelRow]:
    """The contact's identities as card rows (from the prefetched identities: no query of its own)."""
    identities = sorted(
        contact.identities.all(),
        key=lambda i: (ORDER.index(i.channel) if i.channel in ORDER else len(ORDER), i.created_at, i.pk),
    )
    rows, marked = [], False
    for identity in identities:
        channel = identity.channel
        is_default = not marked and channel == contact.default_outbound_channel and channel in CAN_SEND
        marked = marked or is_default
        if channel == IdentityChannel.TWITTER:
            value = f"@{identity.handle}" if identity.handle else identity.external_id
            detail = identity.external_id if identity.handle else ""
        elif channel in (IdentityChannel.SMS, IdentityChannel.WHATSAPP):
            value, detail = _readable_phone(identity.external_id), ""
        else:
            value, detail = identity.external_id, ""
        rows.append(ChannelRow(identity, channel, channel_label(channel), ICONS.get(channel, "•"), value, detail,
                               is_default, channel in NOT_CONNECTED))  # fmt: skip
    return rows


@register.filter
def contact_avatar(contact) -> str:
    """The profile picture of the contact's X account, when X gave one as an http(s) URL; "" for the initial."""
    for identity in contact.identities.all():
        if identity.channel == IdentityChannel.TWITTER and identity.avatar_url.startswith(("https://", "http://")):
            return identity.avatar_url
    return ""
