from django import forms

from contacts.models import Contact, ContactIdentity, IdentityChannel
from interactions.models import Channel
from workspace.models import ChannelPresence


class PresenceForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    ready = forms.TypedChoiceField(choices=[("1", "Ready"), ("0", "Not Ready")], coerce=lambda v: v == "1")
    reason = forms.ChoiceField(choices=ChannelPresence.NotReadyReason.choices, required=False)


class ContactForm(forms.ModelForm):
    """What an agent may edit on the Contact tab, including the contact's X actor (name, user id, @handle)."""

    x_name = forms.CharField(label="X name", max_length=50, required=False)
    x_user_id = forms.RegexField(
        label="X user id", regex=r"^\d{1,20}$", required=False,
        error_messages={"invalid": "An X user id is a number, like 1790000000000000101."},
    )  # fmt: skip
    x_handle = forms.RegexField(
        label="X handle", regex=r"^@?[A-Za-z0-9_]{1,15}$", required=False,
        error_messages={"invalid": "An X handle has up to 15 letters, digits or underscores."},
    )  # fmt: skip

    class Meta:
        model = Contact
        fields = ["display_name", "default_outbound_channel", "notes"]
        labels = {"display_name": "Name", "default_outbound_channel": "Default outbound channel"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # From the identities the view prefetched (the tab lists them too): no query of its own.
        identities = self.instance.identities.all() if self.instance.pk else ()
        self.x_identity = next((i for i in identities if i.channel == IdentityChannel.TWITTER), None)
        if self.x_identity:
            self.initial.update(x_name=self.x_identity.display_name, x_user_id=self.x_identity.external_id,
                                x_handle=self.x_identity.handle)  # fmt: skip

    def clean(self):
        data = super().clean()
        self.edits_x = "x_user_id" in self.data  # a form posted without the X fields leaves the X actor alone
        if not self.edits_x:
            return data
        x_user_id = data.get("x_user_id")
        if self.x_identity and not x_user_id and "x_user_id" not in self.errors:
            self.add_error("x_user_id", "The X user id cannot be removed: Perch knows this customer by it.")
        elif x_user_id:
            taken = ContactIdentity.objects.filter(channel=IdentityChannel.TWITTER, external_id=x_user_id).exclude(
                contact=self.instance
            )
            if taken.exists():
                self.add_error("x_user_id", "Another contact has this X user id: merge the two in the admin.")
        if (data.get("x_name") or data.get("x_handle")) and not x_user_id and "x_user_id" not in self.errors:
            self.add_error("x_user_id", "Add the X user id too: X knows people by it, not by name or handle.")
        return data

    def x_actor(self) -> dict | None:
        """The X actor to set (contacts.services.contact_update), or None when the form leaves it alone."""
        if not (self.edits_x and self.cleaned_data.get("x_user_id")):
            return None
        data = self.cleaned_data
        return {
            "x_user_id": data["x_user_id"],
            "handle": data.get("x_handle", "").lstrip("@"),
            "name": data.get("x_name", ""),
        }
