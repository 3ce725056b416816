"""The agent's and the supervisor's forms. Every value a workspace, board or admin view reads from a request is
cleaned or refused here, in words the person can act on, before it reaches a service or the database (a NUL
character, which PostgreSQL cannot store, an over-long key, an id that is not a number)."""

import uuid

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from interactions import outreach
from interactions.annotations import NOTE_MAX_LENGTH
from interactions.attachments import MAX_BYTES, TOO_BIG
from interactions.models import Channel, Label, Message, NotificationTemplate
from interactions.sentiment import BAND_SCORES
from workspace.agents.models import ChannelPresence
from workspace.desk import selectors

IDEMPOTENCY_KEY_MAX_LENGTH = Message._meta.get_field("idempotency_key").max_length
SEARCH_MAX_LENGTH = 200


class Text(forms.CharField):
    """Text a person typed, refused in words when it holds a NUL character or is over `max_length`."""

    def __init__(self, *, what: str, **kwargs):
        messages = {
            "null_characters_not_allowed": f"The {what} contains a NUL character (U+0000), which Perch cannot store "
            "or send: remove it.",
            "max_length": f"The {what} is too long: at most %(limit_value)d characters (it has %(show_value)d).",
            "required": f"Write the {what} first.",
        }
        super().__init__(error_messages=messages, **kwargs)


class IdempotencyKey(forms.CharField):
    """The hidden key that makes a double-clicked Send one message (Perch writes it into the form)."""

    def __init__(self):
        refused = "This form is out of date (its key is not one Perch made): reload the page and send again."
        super().__init__(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, required=False,
                         error_messages={"max_length": refused, "null_characters_not_allowed": refused})  # fmt: skip


class TweetId(forms.RegexField):
    """A tweet's id on X: digits only (X's ids are 64-bit numbers, kept as strings)."""

    def __init__(self, **kwargs):
        refused = "That is not the id of a tweet on X: pick the tweet again."
        super().__init__(regex=r"^[0-9]{1,20}$", error_messages={"invalid": refused, "required": refused,
                         "null_characters_not_allowed": refused}, **kwargs)  # fmt: skip


class Pick(forms.ModelChoiceField):
    """A choice from a list Perch showed: anything else (not a number, a NUL, a row gone since) gets `refused`."""

    def __init__(self, *, refused: str, **kwargs):
        super().__init__(error_messages={"required": refused, "invalid_choice": refused}, **kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:  # Django checks NUL characters here with its own words
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class RefusingForm(forms.Form):
    """A form whose errors are told to the person in one line, where they were working."""

    def refusal(self) -> str:
        return " ".join(dict.fromkeys(str(error) for errors in self.errors.values() for error in errors))

    def typed(self, name: str) -> str:
        """What was typed in `name`, given back (without NUL characters) so a refusal never loses a draft."""
        return str(self.data.get(name, "")).replace("\x00", "")

    def key(self) -> str:
        """The form's idempotency key, or a fresh one when the page had none."""
        return self.cleaned_data.get("idempotency_key") or uuid.uuid4().hex


class SendForm(RefusingForm):
    """Write a message + Send: a DM, or a public reply to one tweet, with at most one image."""

    text = Text(what="message", required=False, strip=False)  # the outbox counts it and refuses it empty
    idempotency_key = IdempotencyKey()
    in_reply_to_tweet_id = TweetId(required=False)
    image = forms.FileField(required=False, error_messages={"empty": "The image is an empty file: attach it again."})

    def clean_image(self) -> bytes | None:
        image = self.cleaned_data.get("image")
        if image is None:
            return None
        if image.size > MAX_BYTES:
            raise forms.ValidationError(TOO_BIG)
        return image.read()


class NoteForm(RefusingForm):
    """Add private note: the composer's text, kept in Perch."""

    text = Text(what="note", required=False, strip=False)  # the service refuses it empty or over-long, in words
    idempotency_key = IdempotencyKey()


class LikeForm(RefusingForm):
    tweet_id = TweetId()
    idempotency_key = IdempotencyKey()


class TweetForm(RefusingForm):
    """Reply by DM: which tweet's author gets the DM."""

    tweet_id = TweetId()


class MoveToDMForm(LikeForm):
    """Move to DM: the tweet answered in public, and the key that makes a double-click one reply."""


class MarkDoneForm(RefusingForm):
    """Mark Done asks how the conversation ended: nothing is picked for the agent (a pre-selected first label filed
    every quick Mark Done as "Escalated"). Only while a supervisor has made no labels is there nothing to pick."""

    disposition = Pick(
        queryset=Label.objects.filter(is_active=True),
        refused="That disposition is not one of the labels (any more): pick another.",
    )
    note = Text(what="note", required=False, max_length=NOTE_MAX_LENGTH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["disposition"]
        field.required = field.queryset.exists()
        field.error_messages["required"] = "Pick a disposition: how did this conversation end?"


class SentimentForm(RefusingForm):
    sentiment = forms.ChoiceField(
        choices=[(value, value.capitalize()) for value in BAND_SCORES],
        error_messages={"required": "Pick a sentiment: negative, neutral or positive.",
                        "invalid_choice": "Pick a sentiment: negative, neutral or positive."},
    )  # fmt: skip


class LabelForm(RefusingForm):
    """Tag (tagged=1) or untag (tagged=0) the interaction with one label; the service checks the label exists."""

    label = forms.IntegerField(min_value=1, error_messages={
        "required": "Pick a label from the menu.", "invalid": "Pick a label from the menu.",
        "min_value": "Pick a label from the menu.",
    })  # fmt: skip
    tagged = forms.TypedChoiceField(
        choices=[("1", "Tag"), ("0", "Untag")], coerce=lambda value: value == "1",
        error_messages={"required": "Tag or untag a label from the menu.",
                        "invalid_choice": "Tag or untag a label from the menu."},
    )  # fmt: skip


class ConnectForm(RefusingForm):
    """The Connect view's query string: ?q= searches contacts, ?contact= opens one."""

    q = Text(what="search", required=False, max_length=SEARCH_MAX_LENGTH)
    contact = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, error_messages={
        "invalid": "That contact link is broken: pick the contact from the list.",
        "min_value": "That contact link is broken: pick the contact from the list.",
        "max_value": "That contact link is broken: pick the contact from the list.",
    })  # fmt: skip


BROKEN_OLDER_LINK = "That “Older” link is broken: reload the transcript."


class TranscriptPageForm(RefusingForm):
    """?before= of the transcript's "Older" link: a position Perch wrote (selectors.encode_cursor)."""

    before = forms.CharField(required=False, max_length=40, error_messages={
        "max_length": BROKEN_OLDER_LINK, "null_characters_not_allowed": BROKEN_OLDER_LINK,
    })  # fmt: skip

    def clean_before(self) -> str:
        before = self.cleaned_data["before"]
        if before and selectors.decode_cursor(before) is None:
            raise forms.ValidationError(BROKEN_OLDER_LINK)
        return before


BROKEN_TWEET_LINK = "That tweet is not one Perch showed you: reload the page and pick it again."


class MessageId(forms.IntegerField):
    """The id of a message the page showed (a tweet to answer or like)."""

    def __init__(self, **kwargs):
        refused = {"invalid": BROKEN_TWEET_LINK, "required": BROKEN_TWEET_LINK, "min_value": BROKEN_TWEET_LINK,
                   "max_value": BROKEN_TWEET_LINK}  # fmt: skip
        super().__init__(min_value=1, max_value=2**63 - 1, error_messages=refused, **kwargs)


class ConnectWriteForm(SendForm):
    """The Connect view's composer, with at most one image: Write a message (on the contact's default outbound
    channel), a public reply to one of the contact's tweets (`mode` reply) or Reply by DM (`mode` dm)."""

    in_reply_to_tweet_id = None
    mode = forms.ChoiceField(choices=[("", "Write a message"), ("reply", "Reply"), ("dm", "Reply by DM")],
                             required=False, error_messages={"invalid_choice": BROKEN_TWEET_LINK})  # fmt: skip
    tweet = MessageId(required=False)

    def clean(self):
        data = super().clean()
        if data.get("mode") == "reply" and not data.get("tweet") and "tweet" not in self.errors:
            self.add_error("tweet", BROKEN_TWEET_LINK)
        return data


class ConnectLikeForm(RefusingForm):
    tweet = MessageId()
    idempotency_key = IdempotencyKey()


class NotifyForm(RefusingForm):
    """Send a notification: one of the templates this agent may send (interactions.outreach)."""

    template = Pick(queryset=NotificationTemplate.objects.none(), refused="Pick a notification from the list.")
    idempotency_key = IdempotencyKey()

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = outreach.notification_templates_for(agent=agent)


def reassignable_agents():
    """The agents a supervisor may hand an interaction to, as the board and the admin list them."""
    return get_user_model().objects.filter(is_active=True, agent_profile__isnull=False).order_by("first_name")


class ReassignForm(RefusingForm):
    """The live board's and the admin's Reassign: to an active agent."""

    agent = Pick(queryset=reassignable_agents(), refused="Pick an active agent to reassign to.")


class UsernameLengthChecked:
    """Django's login forms only set the username widget's maxlength; a longer name reached django-axes, whose
    record of the failed attempt the database refused (a 500). Here it is refused as a form error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class LoginForm(UsernameLengthChecked, AuthenticationForm):
    pass


class AdminLoginForm(UsernameLengthChecked, AdminAuthenticationForm):
    pass


class PresenceForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    ready = forms.TypedChoiceField(choices=[("1", "Ready"), ("0", "Not Ready")], coerce=lambda v: v == "1")
    reason = forms.ChoiceField(choices=ChannelPresence.NotReadyReason.choices, required=False)
