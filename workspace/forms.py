from django import forms

from interactions.models import Channel
from workspace.models import ChannelPresence


class PresenceForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    ready = forms.TypedChoiceField(choices=[("1", "Ready"), ("0", "Not Ready")], coerce=lambda v: v == "1")
    reason = forms.ChoiceField(choices=ChannelPresence.NotReadyReason.choices, required=False)
