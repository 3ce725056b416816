from django import forms

from contacts.models import Contact
from interactions.models import Channel
from workspace.models import ChannelPresence


class PresenceForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    ready = forms.TypedChoiceField(choices=[("1", "Ready"), ("0", "Not Ready")], coerce=lambda v: v == "1")
    reason = forms.ChoiceField(choices=ChannelPresence.NotReadyReason.choices, required=False)


class ContactForm(forms.ModelForm):
    """What an agent may edit on the Contact tab."""

    class Meta:
        model = Contact
        fields = ["display_name", "default_outbound_channel", "notes"]
        labels = {"display_name": "Name", "default_outbound_channel": "Default outbound channel"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
