from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from interactions.text import leading_mentions
from workspace.agents.models import Channel  # an interaction is routed on an agent's channel


class InteractionKind(models.TextChoices):
    """The routed channels (an agent's Channel), plus Email: written from the Connect view, never routed."""

    CHAT = Channel.CHAT.value, Channel.CHAT.label
    TWITTER = Channel.TWITTER.value, Channel.TWITTER.label
    EMAIL = "email", "Email"


class InteractionState(models.TextChoices):
    QUEUED = "queued", "Queued"
    OFFERED = "offered", "Offered"
    ACTIVE = "active", "Active"
    TRANSFERRED = "transferred", "Transferred"
    ENDED = "ended", "Ended"
    DONE = "done", "Done"


# The only moves the lifecycle services make; anything else is refused with InvalidTransition.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    InteractionState.QUEUED: frozenset({InteractionState.OFFERED, InteractionState.ENDED}),
    InteractionState.OFFERED: frozenset({InteractionState.QUEUED, InteractionState.ACTIVE, InteractionState.ENDED}),
    InteractionState.ACTIVE: frozenset({InteractionState.ENDED, InteractionState.TRANSFERRED}),
    InteractionState.TRANSFERRED: frozenset({InteractionState.QUEUED}),
    InteractionState.ENDED: frozenset({InteractionState.DONE}),
    InteractionState.DONE: frozenset(),
}
OPEN_STATES = (
    InteractionState.QUEUED,
    InteractionState.OFFERED,
    InteractionState.ACTIVE,
    InteractionState.TRANSFERRED,
)


class Label(models.Model):
    """A disposition an agent picks on Mark Done ("Resolved", "Refund issued", ...), also a tag on an interaction."""

    name = models.CharField(max_length=60, unique=True)
    color = models.CharField(max_length=7, default="#64748b", help_text="Hex colour, e.g. #16a34a.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Interaction(models.Model):
    """One conversation with a contact on one channel, from arrival to Mark Done."""

    class EndedBy(models.TextChoices):
        AGENT = "agent", "Agent"
        CUSTOMER = "customer", "Customer"
        SUPERVISOR = "supervisor", "Supervisor"
        SYSTEM = "system", "System"

    class Review(models.TextChoices):
        """A queued interaction a routing rule parks for a supervisor (tweets not addressed to the brand)."""

        NONE = "", "Not in review"
        HELD = "held", "In review"  # queued, but not offered to agents until a supervisor releases or closes it
        RELEASED = "released", "Released from review"  # a supervisor let it go: routed as usual, never parked again

    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="interactions")
    x_account = models.ForeignKey(
        "social.XAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    state = models.CharField(max_length=16, choices=InteractionState.choices, default=InteractionState.QUEUED)
    # A DM conversation id, or the id of the tweet that roots a public conversation branch.
    thread_key = models.CharField(max_length=80)
    root_tweet_id = models.CharField(max_length=32, blank=True)
    priority = models.SmallIntegerField(default=0, help_text="Higher is routed first.")
    sentiment = models.FloatField(null=True, blank=True, help_text="-1 (negative) … +1 (positive).")
    sentiment_overridden = models.BooleanField(default=False, help_text="An agent set the sentiment by hand.")
    language = models.CharField(max_length=8, blank=True)
    # Set by routing rules at queue time; empty team: the X account's team.
    team = models.ForeignKey("workspace.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    required_skills = models.ManyToManyField("workspace.Skill", blank=True, related_name="+")
    prioritised_at = models.DateTimeField(
        null=True, blank=True, help_text="When language, priority, team and skills were last set from the rules."
    )
    review = models.CharField(max_length=8, choices=Review.choices, blank=True, default=Review.NONE)
    review_rule = models.ForeignKey(
        "RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The routing rule that parked it in review.",
    )  # fmt: skip
    opened_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, choices=EndedBy.choices, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    disposition = models.ForeignKey(Label, null=True, blank=True, on_delete=models.PROTECT)
    done_note = models.TextField(blank=True)
    # Tags the agent sets while working (the disposition above is picked once, at Mark Done).
    labels = models.ManyToManyField(Label, blank=True, related_name="tagged_interactions")
    agent_read_at = models.DateTimeField(
        null=True, blank=True, help_text="When its agent last had it open: later customer messages are unread."
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # A second open interaction for the same thread would show the customer's messages twice.
            models.UniqueConstraint(
                fields=["x_account", "kind", "thread_key"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_interaction_per_thread",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind", "-priority", "queued_at"]),
            models.Index(fields=["agent", "state"]),
            models.Index(fields=["contact", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} with {self.contact.display_name} ({self.state})"


class Message(models.Model):
    """One DM or tweet in an interaction, inbound from the customer or outbound from an agent."""

    class Direction(models.TextChoices):
        INBOUND = "in", "From the customer"
        OUTBOUND = "out", "From an agent"

    class Kind(models.TextChoices):
        DM = "dm", "Direct message"
        TWEET = "tweet", "Tweet"
        LIKE = "like", "Like"  # outbound only; in_reply_to_external_id is the liked tweet
        EMAIL = "email", "Email"  # outbound only, through Django's email framework

    class Delivery(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class HoldReason(models.TextChoices):
        """Why a queued message is not on its way to X yet, in the words the agent reads beside it."""

        RECONNECT = "reconnect", "Held until a supervisor reconnects the X account"  # X answered 401
        RATE_LIMIT = "rate_limit", "Waiting for X's rate limit"  # the account's X budget is spent, or X said 429
        BEHIND = "behind", "Waiting behind earlier messages"  # an older send of the same kind still waits
        BACKOFF = "backoff", "Trying again shortly"  # X had a server error or did not answer

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="messages")
    x_account = models.ForeignKey("social.XAccount", null=True, blank=True, on_delete=models.PROTECT)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author_identity = models.ForeignKey(
        "contacts.ContactIdentity", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    author_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_sent",
    )
    # X's view of the author (id, username, name, profile_image_url), kept for tweets by people with no contact.
    author = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200, blank=True, help_text="Emails only: the subject line.")
    text = models.TextField(blank=True)
    display_start = models.PositiveIntegerField(
        default=0, help_text="Where the text X shows begins: after a reply's leading @mentions (display_text_range)."
    )
    sentiment = models.FloatField(null=True, blank=True)
    # X's rule for self-serve replies (2026-02-23): the tweet's author @mentioned the brand or quoted its post.
    summoned = models.BooleanField(
        default=True, help_text="Inbound tweets: the author summoned the brand. False: not addressed to @brand."
    )
    media = models.JSONField(default=list, blank=True, help_text="Attached images: [{url, media_key, width, height}].")
    external_id = models.CharField(max_length=32, null=True, blank=True, help_text="DM event id or tweet id on X.")
    in_reply_to_external_id = models.CharField(max_length=32, blank=True)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    attachment = models.FileField(upload_to="outbox/%Y/%m/", blank=True, help_text="Image an agent attached.")
    x_media_id = models.CharField(max_length=32, blank=True, help_text="X's id of the uploaded attachment.")
    send_after = models.DateTimeField(null=True, blank=True, help_text="Held by the X budget until then.")
    hold_reason = models.CharField(
        max_length=16, choices=HoldReason.choices, blank=True,
        help_text="Why it waits; empty once a worker takes it, and when it is sent or failed.",
    )  # fmt: skip
    claimed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When a worker last called X with it; kept while X may have it, so the next try asks X first.",
    )  # fmt: skip
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, help_text="What X said when it refused or failed.")
    created_at = models.DateTimeField(default=timezone.now, help_text="When it was written (X's time for inbound).")
    sent_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer read it (X's read receipt); outbound DMs only."
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # X delivers the same event more than once (polling overlap, webhook retries): store it once.
            models.UniqueConstraint(
                fields=["x_account", "kind", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_external_id_unique_per_account",
            ),
            # A double-clicked Send carries the same key and must not create a second outbound message.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(direction="in", delivery="") | Q(direction="out") & ~Q(delivery=""),
                name="outbound_message_has_delivery_state",
            ),
        ]
        indexes = [models.Index(fields=["interaction", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind} {self.external_id or self.pk}"

    @property
    def display_text(self) -> str:
        """The text as X shows it: a reply's leading @mentions are its "Replying to" line, not its text."""
        return self.text[self.display_start :]

    @property
    def leading_handles(self) -> list[str]:
        """The handles X put in front of a reply's text ("Replying to @maya"), from the text itself."""
        return leading_mentions(self.text[: self.display_start])[0] if self.display_start else []


class Offer(models.Model):
    """An interaction offered to one agent, who Accepts or Rejects before it expires."""

    class State(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OFFERED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction"], condition=Q(state="offered"), name="one_live_offer_per_interaction"
            ),
        ]
        indexes = [models.Index(fields=["agent", "state"])]

    def __str__(self) -> str:
        return f"Offer of #{self.interaction_id} to {self.agent} ({self.state})"


class RoutingRule(models.Model):
    """Matches interactions (keywords, VIP contacts, negative sentiment, language) and raises their priority,
    sends them to a team, or requires skills of the agent who gets them."""

    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated; any one matches.")
    vip_contacts = models.BooleanField("VIP contacts", default=False, help_text="Matches contacts marked VIP.")
    sentiment_below = models.FloatField(null=True, blank=True, help_text="Matches when sentiment is below this.")
    language = models.CharField(max_length=8, blank=True, help_text="Matches this detected language (e.g. es).")
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True, help_text="Empty: both.")
    priority_boost = models.SmallIntegerField(default=0)
    team = models.ForeignKey("workspace.Team", null=True, blank=True, on_delete=models.SET_NULL)
    unsummoned_to_review = models.BooleanField(
        "Unsummoned tweets → review",
        default=False,
        help_text="Tweets this rule matches that are not addressed to the brand (no @mention of it, no quote of its "
        "posts: a self-serve X app may not answer them in public) wait in the live board's Review queue for a "
        "supervisor to release to agents or close, instead of being offered to agents.",
    )
    required_skills = models.ManyToManyField("workspace.Skill", blank=True, related_name="routing_rules")

    class Meta:
        ordering = ["-priority_boost", "name"]

    def __str__(self) -> str:
        return self.name


class InteractionNote(models.Model):
    """A private note an agent adds to an interaction: shown in the transcript, never sent to X."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    # The composer's key: a double-clicked "Add note" stores one note.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    is_private_note = True  # lets the transcript template tell notes from messages

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["interaction", "created_at"])]

    def __str__(self) -> str:
        return f"Note on #{self.interaction_id} by {self.author}"


class CannedResponse(models.Model):
    """A ready answer an agent inserts with "/" in the composer: for a whole team, or personal to one agent."""

    title = models.CharField(max_length=80)
    text = models.TextField(help_text="Placeholders: {contact_name}, {agent_name}, {brand_handle}.")
    team = models.ForeignKey(
        "workspace.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_responses",
        help_text="Set for a personal response; leave empty and pick a team for a team-wide one.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            # Exactly one audience: a personal response is nobody else's, a team response is the team's.
            models.CheckConstraint(
                condition=Q(team__isnull=True, owner__isnull=False) | Q(team__isnull=False, owner__isnull=True),
                name="canned_response_team_xor_owner",
                violation_error_message="Pick either a team (team-wide) or an owner (personal), not both or neither.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationTemplate(models.Model):
    """A message supervisors prepare for agents to send a contact from the Connect view, on the contact's default
    outbound channel (or only on `channel`), e.g. "Your refund is on its way"."""

    class Channel(models.TextChoices):
        ANY = "", "The contact's default outbound channel"
        TWITTER = "twitter", "X (Twitter) DM"
        EMAIL = "email", "Email"

    name = models.CharField(max_length=80, help_text="What agents pick; the email's subject unless one is set.")
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True, default=Channel.ANY)
    subject = models.CharField(max_length=200, blank=True, help_text="Email subject (placeholders allowed).")
    text = models.TextField(help_text="Placeholders: {contact_name}, {agent_name}, {brand_handle}.")
    team = models.ForeignKey(
        "workspace.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="notification_templates",
        help_text="Empty: every agent may send it.",
    )  # fmt: skip
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
