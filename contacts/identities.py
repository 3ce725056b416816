"""What a contact's address looks like on each channel: checked and written one way before it is stored, so the
same customer typed twice ("Maya@Example.COM", "maya@example.com"; "020 7946 0958", "+44 20 7946 0958") is one
identity, and a typo is refused in words the agent can act on.

Which channels can send lives here too: the Contact tab, the Connect view and the outbox all ask the same question.
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from contacts.errors import ContactError
from contacts.models import ContactIdentity, IdentityChannel

MAX_LENGTH = ContactIdentity._meta.get_field("external_id").max_length  # 254, an email address's limit
HANDLE_MAX_LENGTH = 15
X_USER_ID = re.compile(r"^[0-9]{1,19}$")  # X's ids are 64-bit numbers, kept as strings
X_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")

# Where Write a message and notifications can go. SMS and WhatsApp are channels a contact may have, but Perch has
# no connection to send on them yet; Chat is Perch's own web chat, answered only while the visitor is there.
CAN_SEND = (IdentityChannel.TWITTER, IdentityChannel.EMAIL)
NOT_CONNECTED = (IdentityChannel.SMS, IdentityChannel.WHATSAPP)
# How the agent calls one address of each channel, in a sentence.
ADDRESS = {
    IdentityChannel.TWITTER: "X account",
    IdentityChannel.EMAIL: "email address",
    IdentityChannel.SMS: "phone number",
    IdentityChannel.WHATSAPP: "WhatsApp number",
    IdentityChannel.CHAT: "chat visitor id",
}
PHONE_EXAMPLE = "+44 20 7946 0958"


class IdentityError(ContactError):
    """An address Perch refuses, said in words (str(error))."""


@dataclass(frozen=True)
class Address:
    """One identity as it is stored: the channel, its id there and, on X, the @handle (without the @)."""

    channel: str
    external_id: str
    handle: str = ""


def quoted(value: str, limit: int = 40) -> str:
    """The value as the agent typed it, in quotes, cut short: a 300-character paste is not repeated back whole."""
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"“{value}”"


def _checked_text(value, *, what: str) -> str:
    value = "" if value is None else str(value)
    if "\x00" in value:
        raise IdentityError(f"The {what} contains a NUL character (U+0000), which Perch cannot store: remove it.")
    value = value.strip()
    if not value:
        raise IdentityError(f"Write the {what} first.")
    if len(value) > MAX_LENGTH:
        raise IdentityError(f"The {what} is too long: at most {MAX_LENGTH} characters (it has {len(value)}).")
    return value


def normalise_email(value) -> str:
    """An email address Django's EmailValidator accepts, lower-cased whole: RFC 5321 lets a server tell "Maya@" from
    "maya@", but mail servers and care tools treat them as one mailbox, and two contacts must never share one."""
    value = _checked_text(value, what="email address")
    try:
        EmailValidator()(value)
    except ValidationError:
        raise IdentityError(f"{quoted(value)} is not an email address.") from None
    return value.lower()


def normalise_phone(value, *, region: str | None = None) -> str:
    """A phone number that `phonenumbers` finds valid, in E.164 (+442079460958). Written without a country code it
    is read as a number of PERCH_PHONE_REGION (default US)."""
    value = _checked_text(value, what="phone number")
    refused = f"{quoted(value)} is not a valid phone number: write it with its country code, e.g. {PHONE_EXAMPLE}."
    try:
        number = phonenumbers.parse(value, region or settings.PERCH_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise IdentityError(refused) from None
    if not phonenumbers.is_valid_number(number):
        raise IdentityError(refused)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_x_handle(value) -> str:
    """An X @username: 1–15 letters, digits or underscores; the @ is not stored."""
    value = "" if value is None else str(value).strip()
    if not value:
        return ""
    found = X_HANDLE.match(value) if "\x00" not in value else None
    if found is None:
        raise IdentityError(f"{quoted(value)} is not an X handle: up to 15 letters, digits or underscores.")
    return found.group(1)


def normalise_x(value, *, handle="") -> Address:
    """An X account: its user id (1–19 digits, what X knows people by) and, optionally, its @handle. A handle alone
    is refused: handles change hands, ids don't, and the id is what Perch files the customer's DMs and tweets under.
    The handle may come in `value` ("@maya") or in `handle`."""
    value = _checked_text(value, what="X user id")
    handle = normalise_x_handle(handle)
    if X_USER_ID.match(value):
        return Address(IdentityChannel.TWITTER, value, handle)
    if X_HANDLE.match(value):
        raise IdentityError(
            f"Write the X user id of @{X_HANDLE.match(value).group(1)} too (a number, like 1790000000000000101): "
            "X knows people by it, not by their handle."
        )
    raise IdentityError(f"{quoted(value)} is not an X user id: it is a number, like 1790000000000000101.")


def normalise_chat(value) -> str:
    """A chat visitor's id or name, as the chat widget gave it (any text on one line)."""
    value = _checked_text(value, what="chat visitor id")
    if any(ord(c) < 32 for c in value):
        raise IdentityError("The chat visitor id must be on one line.")
    return value


def normalise(*, channel, value, handle="") -> Address:
    """The identity `value` names on `channel`, as Perch stores it, or IdentityError in words."""
    if channel == IdentityChannel.TWITTER:
        return normalise_x(value, handle=handle)
    if channel == IdentityChannel.EMAIL:
        return Address(channel, normalise_email(value))
    if channel in (IdentityChannel.SMS, IdentityChannel.WHATSAPP):
        return Address(channel, normalise_phone(value))
    if channel == IdentityChannel.CHAT:
        return Address(channel, normalise_chat(value))
    names = ", ".join(label for _, label in IdentityChannel.choices)
    raise IdentityError(f"Pick a channel: {names}.")


def can_send(channel: str) -> bool:
    return channel in CAN_SEND


def channel_label(channel: str) -> str:
    """ "Email", "SMS", "X (Twitter)" — or the raw value of a channel Perch does not know."""
    try:
        return IdentityChannel(channel).label
    except ValueError:
        return str(channel)
