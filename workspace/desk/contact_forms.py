"""The Contact tab's forms: Edit contact (name, notes, default outbound channel) and Add channel. Values are cleaned
here and refused in words; whether an address is one (an email address, a phone number, an X user id) is for
contacts.identities, which the service asks, so the admin and the tab refuse the same things the same way."""

from django import forms

from contacts.identities import CAN_SEND, MAX_LENGTH, channel_label
from contacts.models import Contact, IdentityChannel
from workspace.desk.forms import RefusingForm, Text

NAME_MAX_LENGTH = Contact._meta.get_field("display_name").max_length
NOTES_MAX_LENGTH = 10_000
PICK_DEFAULT = "Pick X or Email as the default outbound channel."


class ContactForm(RefusingForm):
    """Edit contact. The default outbound channel lists only the channels that can send; which of them the contact
    can be written on (has an identity there) is checked by contacts.services, in words."""

    display_name = Text(what="name", max_length=NAME_MAX_LENGTH, label="Name")
    default_outbound_channel = forms.CharField(
        label="Default outbound channel",
        widget=forms.Select(choices=[(channel, channel_label(channel)) for channel in CAN_SEND]),
        error_messages={"required": PICK_DEFAULT, "null_characters_not_allowed": PICK_DEFAULT},
    )
    notes = Text(what="notes", required=False, max_length=NOTES_MAX_LENGTH,
                 widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, data=None, *, contact: Contact):
        initial = {name: getattr(contact, name) for name in ("display_name", "default_outbound_channel", "notes")}
        super().__init__(data, initial=initial)

    def clean_default_outbound_channel(self) -> str:
        channel = self.cleaned_data["default_outbound_channel"]
        if channel not in IdentityChannel.values:  # SMS or WhatsApp: the service says they are not connected
            raise forms.ValidationError(PICK_DEFAULT)
        return channel


class IdentityForm(RefusingForm):
    """Add channel: which channel, and the address there (the X handle too, for an X account)."""

    channel = forms.ChoiceField(
        choices=IdentityChannel.choices,
        error_messages={
            "required": "Pick the channel to add.",
            "invalid_choice": "Pick the channel to add from the list.",
        },
    )
    value = Text(what="address", required=False, max_length=MAX_LENGTH)  # empty: the service says what to write
    handle = Text(what="X handle", required=False, max_length=100)

    def typed(self, name: str) -> str:
        return super().typed(name)[: MAX_LENGTH + 50]  # given back to fix, never a megabyte pasted by mistake
