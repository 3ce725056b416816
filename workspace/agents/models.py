from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    """The channels an agent is Ready on, and the kinds of interaction routed on them."""

    CHAT = "chat", "Chat"
    TWITTER = "twitter", "Twitter"


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)
    offer_timeout_seconds = models.PositiveIntegerField(default=30, help_text="An unanswered offer expires after this.")
    reoffer_cooldown_seconds = models.PositiveIntegerField(
        "re-offer cool-down (seconds)",
        default=60,
        help_text="An agent who rejected an offer or let it expire is offered that interaction again after this.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something a routing rule can require: a language ("lang:es"), a topic ("billing")."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """Makes a user an agent: teams, skills and how many interactions they work at once per channel."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    teams = models.ManyToManyField(Team, blank=True, related_name="agents")
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents")
    chat_capacity = models.PositiveSmallIntegerField(default=3)
    twitter_capacity = models.PositiveSmallIntegerField(default=5)
    last_routed_at = models.DateTimeField(
        null=True, blank=True, help_text="Last offer or end of work: routing prefers whoever has waited longest."
    )

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def capacity_for(self, channel: str) -> int:
        return {Channel.CHAT: self.chat_capacity, Channel.TWITTER: self.twitter_capacity}[channel]


class ChannelPresence(models.Model):
    """Ready / Not Ready of one agent on one channel. Routing only offers to Ready agents."""

    class NotReadyReason(models.TextChoices):
        NONE = "", "—"
        BREAK = "break", "Break"
        MEETING = "meeting", "Meeting"
        AFTER_CALL_WORK = "after_call_work", "After-call work"
        OFFLINE = "offline", "Signed out"

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presences")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    ready = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, choices=NotReadyReason.choices, blank=True)
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "channel"], name="one_presence_per_agent_channel"),
        ]
        indexes = [models.Index(fields=["channel", "ready"])]

    def __str__(self) -> str:
        return f"{self.agent} {self.channel}: {'Ready' if self.ready else 'Not Ready'}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored: the token itself is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True, help_text="What the token is for, e.g. “BI export”.")
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a token in a list.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True, help_text="Untick to revoke the token.")

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AgentNotice(models.Model):
    """A notice an agent got (a contact of theirs replied, an offer they missed). The push is only a hint that
    vanishes with the tab; this row is what the Communication tab's Notifications list shows."""

    class Kind(models.TextChoices):
        CONTACT_REPLIED = "contact_replied", "Contact replied"
        OFFER_MISSED = "offer_missed", "Missed offer"

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(
        "interactions.Interaction", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    # "Lucía replied — Show" is only true while her conversation waits: once it is taken or handled (accepted by
    # anyone, reassigned, force-ended, marked done) the notice is cleared. Kept, not deleted: it is history.
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.agent}: {self.text}"


class AuditEntry(models.Model):
    """Who did what to which object, written by the services inside their own transaction (never by signals)."""

    class Verb(models.TextChoices):
        ACCEPT = "accept", "Accepted"
        REJECT = "reject", "Rejected"
        SEND = "send", "Sent a message"
        LIKE = "like", "Liked a tweet"
        END = "end", "Ended"
        MARK_DONE = "mark_done", "Marked done"
        REASSIGN = "reassign", "Reassigned"
        FORCE_END = "force_end", "Force-ended"
        REQUEUE = "requeue", "Requeued"
        MERGE = "merge", "Merged contacts"
        SETTINGS_CREATE = "settings_create", "Created setting"
        SETTINGS_CHANGE = "settings_change", "Changed setting"
        SETTINGS_DELETE = "settings_delete", "Deleted setting"

    at = models.DateTimeField("when", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    # Kept as text too: the entry must still say who it was after the user is deleted.
    actor_label = models.CharField("who", max_length=150, blank=True)
    verb = models.CharField(max_length=20, choices=Verb.choices, db_index=True)
    object_type = models.CharField(max_length=60, db_index=True, help_text="e.g. interactions.Interaction")
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField("object", max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_label or 'System'} {self.get_verb_display().lower()} {self.object_label}"
