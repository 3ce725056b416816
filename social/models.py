import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone

from social.fields import EncryptedTextField


def new_webhook_token() -> str:
    """The secret part of an account's webhook URL (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class XAccount(models.Model):
    """An organisation's X account that Perch listens to and answers from."""

    class Mode(models.TextChoices):
        POLLING = "polling", "Polling"
        WEBHOOK = "webhook", "X Activity API webhook"

    class Access(models.TextChoices):
        """What X sells the account's app (X_API.md "X in 2026"); social/access.py says what each one allows."""

        PAY_PER_USE = "pay_per_use", "Self-serve pay-per-use"
        BASIC_PRO = "basic_pro", "Self-serve Basic / Pro plan"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=100, help_text="How agents and supervisors see this account.")
    handle = models.CharField(max_length=50, help_text="@username on X, without the @.")
    x_user_id = models.CharField("X user id", max_length=32, unique=True)
    api_base_url = models.URLField(
        "API base URL",
        blank=True,
        help_text="Empty: X_API_BASE_URL (the real X API by default). The demo points this at Perch's sandbox.",
    )
    consumer_key = models.CharField(max_length=200)
    consumer_secret = EncryptedTextField()
    access_token = EncryptedTextField()
    access_token_secret = EncryptedTextField()
    bearer_token = EncryptedTextField(blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.POLLING)
    # Part of the webhook URL registered with X: a delivery to any other URL is refused before its signature is read.
    webhook_token = models.CharField(max_length=64, default=new_webhook_token, editable=False)
    poll_interval_seconds = models.PositiveIntegerField(
        "shortest poll interval (seconds)",
        default=60,
        help_text="Perch polls each stream (DMs, mentions, keyword search) as often as X's limit for it allows, spread "
        "over X's 15-minute window (DMs: once a minute), but never more often than this.",
    )
    # Self-serve by default: it is what X sells every new app since 2026-02-06, and it allows the least.
    access = models.CharField(
        "X API access",
        max_length=16,
        choices=Access.choices,
        default=Access.PAY_PER_USE,
        help_text="The access level of the X app these credentials belong to. Self-serve access has no likes and may "
        "reply only to tweets that summon the account; Perch lowers it when X refuses a call as not in the access.",
    )
    access_changed_reason = models.CharField(
        max_length=300, blank=True, help_text="Why Perch last changed the access itself (what X answered)."
    )
    # What X refused as not in the access although the access level allows it (a search, a DM, media: X's 403
    # `client-forbidden`): action → X's words. social/access.py refuses those until a supervisor saves the access.
    access_refusals = models.JSONField(
        "refused by X", default=dict, blank=True,
        help_text="What X answered 403 “not in your access” to, by action; Perch stops asking X for them until a "
        "supervisor sets the access again (or uses the action “Ask X again”).",
    )  # fmt: skip
    move_to_dm_text = models.CharField(
        "Move to DM reply",
        max_length=200,
        default="We've sent you a DM so we can sort this out privately.",
        help_text="The short public reply Move to DM posts before the agent writes to the customer in private.",
    )
    keywords = models.CharField(
        max_length=400,
        blank=True,
        help_text="Keyword monitoring: comma-separated terms (e.g. refund, lost bag). Public tweets that contain one, "
        "without mentioning the account, also become Twitter interactions. Costs one search call per poll.",
    )
    budget_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='X API budget: {"multiplier": 2} scales X\'s limits; {"dm_send": [[15, 900]]} replaces one.',
    )
    price_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text="X's prices for this account where they differ from X's published table (social/prices.py), in "
        'dollars: {"write.post_url": "0.25"}.',
    )
    monthly_spend_cap = models.DecimalField(
        "monthly X spend cap (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Empty: no cap. At 80 % supervisors are warned; once reached, keyword search and parent-tweet "
        "fetches are held until the month ends, while DMs and replies keep flowing.",
    )
    # "2026-12:80" / "2026-12:100": the last cap alert sent, so each is sent once a month however many workers see it.
    spend_alerted = models.CharField(max_length=16, blank=True, editable=False)
    team = models.ForeignKey(
        "workspace.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="x_accounts",
        help_text="Conversations of this account go to agents of this team (empty: any agent).",
    )
    is_active = models.BooleanField(default=True)
    needs_reconnect = models.BooleanField(
        default=False,
        help_text="X refused the credentials (401), or they belong to another X account (last error says which). "
        "Polling stops until they are replaced.",
    )
    # Fingerprint of the credentials X confirmed belong to this account (social.credentials): checked once each.
    verified_credentials = models.CharField(max_length=64, blank=True, editable=False)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_ok_at = models.DateTimeField("last successful poll or webhook", null=True, blank=True)
    # When X's last webhook delivery reached Perch (a repeat included): replay after downtime asks X from here.
    last_delivery_at = models.DateTimeField("last webhook delivery", null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    silent_since = models.DateTimeField(
        null=True, blank=True, help_text="Set when supervisors were alerted that a usually busy account went quiet."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "X account"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"

    @property
    def webhook_path(self) -> str:
        """Where X delivers this account's X Activity API events (Perch registers it with this server's origin)."""
        return reverse("x_webhook", args=[self.pk, self.webhook_token])

    @property
    def effective_api_base_url(self) -> str:
        return (self.api_base_url or settings.X_API_BASE_URL).rstrip("/")


class IngestCursor(models.Model):
    """Where polling of one stream of one account has got to; advanced in the same transaction as the ingest."""

    class Stream(models.TextChoices):
        DM_EVENTS = "dm_events", "Direct messages"
        MENTIONS = "mentions", "Mentions"
        SEARCH = "search", "Keyword search"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=16, choices=Stream.choices)
    since_id = models.CharField(max_length=32, blank=True, help_text="Everything up to this id is ingested.")
    # A pagination run interrupted (429, crash) resumes from here instead of starting over.
    resume_token = models.CharField(max_length=200, blank=True)
    run_newest_id = models.CharField(max_length=32, blank=True)
    # When beat polls this stream next (social.schedule): from X's limit for it and the budget left. Empty: now.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="one_cursor_per_stream")]

    def __str__(self) -> str:
        return f"{self.account} {self.stream} since {self.since_id or '—'}"


class RejectedEvent(models.Model):
    """An X event Perch could not understand: kept verbatim for inspection, skipped so the rest flows."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="rejected_events")
    stream = models.CharField(max_length=16)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    error = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stream}: {self.error}"


class XWebhook(models.Model):
    """Perch's webhook registered at X (POST /2/webhooks) for an account in webhook mode, and how that went:
    social.activity registers it and its subscriptions, and removes them when the account goes back to polling."""

    class State(models.TextChoices):
        CONNECTING = "connecting", "Connecting…"
        CONNECTED = "connected", "Registered"
        FAILED = "failed", "Failed"
        REMOVING = "removing", "Removing…"

    account = models.OneToOneField(XAccount, on_delete=models.CASCADE, related_name="webhook")
    url = models.URLField("URL to register", max_length=500)
    x_webhook_id = models.CharField("X's webhook id", max_length=32, blank=True)
    registered_url = models.URLField(max_length=500, blank=True, help_text="The URL X has for this webhook id.")
    crc_valid = models.BooleanField("CRC valid", null=True, help_text="X's `valid`: the last CRC check passed.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.CONNECTING)
    error = models.CharField(max_length=400, blank=True, help_text="What X said when it last refused, in its words.")
    retry_at = models.DateTimeField(null=True, blank=True)
    # When Perch last knew X could reach it (social.replay's watch: X's CRC passed at that moment); a gap since then
    # longer than the watch allows for is replayed. Deliveries do not move it: see social/replay.py.
    reachable_at = models.DateTimeField("known reachable at", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "X webhook"

    def __str__(self) -> str:
        return f"{self.account} webhook {self.x_webhook_id or '(not registered)'}: {self.get_state_display()}"


class XSubscription(models.Model):
    """One X Activity API subscription of an account (an event type for its user id, delivered to its webhook)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="subscriptions")
    event_type = models.CharField(max_length=64)
    x_subscription_id = models.CharField("X's subscription id", max_length=32, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    error = models.CharField(max_length=400, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "X subscription"
        ordering = ["account", "event_type"]
        constraints = [models.UniqueConstraint(fields=["account", "event_type"], name="one_subscription_per_type")]

    def __str__(self) -> str:
        return f"{self.account} {self.event_type}: {self.get_state_display()}"


class XDelivery(models.Model):
    """An X Activity API delivery Perch received, by X's event_uuid: written in the same transaction as what it
    carried, so the same delivery again (X's retry, a replay) is answered 200 and stored nothing."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="deliveries")
    event_uuid = models.CharField(max_length=64)  # opaque: X's examples include negative numbers
    event_type = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "X delivery"
        verbose_name_plural = "X deliveries"
        constraints = [models.UniqueConstraint(fields=["account", "event_uuid"], name="one_delivery_per_event")]
        indexes = [models.Index(fields=["account", "received_at"], name="delivery_account_received")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_uuid}"


class WebhookReplay(models.Model):
    """One replay Perch asked X for (POST /2/webhooks/replay) after it could not be reached, and how it ended: X's
    completion message closes it with the number of events newly stored while it ran (deliveries Perch had already
    are refused by event_uuid and not counted)."""

    class State(models.TextChoices):
        REQUESTED = "requested", "Replaying"
        COMPLETE = "complete", "Replayed"
        INCOMPLETE = "incomplete", "Incomplete"
        REFUSED = "refused", "Refused by X"
        LOST = "lost", "No answer from X"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="replays")
    webhook_id = models.CharField("X's webhook id", max_length=32)
    from_at = models.DateTimeField(help_text="The first minute replayed (UTC minute, inclusive).")
    to_at = models.DateTimeField(help_text="The last minute replayed (UTC minute, inclusive).")
    job_id = models.CharField("X's job id", max_length=32, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    events = models.PositiveIntegerField(null=True, blank=True, help_text="Events newly stored while it ran.")
    caught_up = models.BooleanField(default=False, help_text="A catch-up poll ran for what replay could not cover.")
    error = models.CharField(max_length=400, blank=True, help_text="What X said, in its words.")

    class Meta:
        verbose_name = "webhook replay"
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "job_id"], condition=~models.Q(job_id=""), name="one_replay_per_job"
            )
        ]
        indexes = [models.Index(fields=["account", "-requested_at"], name="replay_account_requested")]

    def __str__(self) -> str:
        return f"{self.account} replay {self.from_at:%Y%m%d%H%M}–{self.to_at:%Y%m%d%H%M}: {self.get_state_display()}"


class XSpend(models.Model):
    """What X charges an account, per UTC day, endpoint and price (social/prices.py): the ledger of X calls."""

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="spend")
    day = models.DateField(help_text="The UTC day of the calls.")
    endpoint = models.CharField(max_length=40, help_text="The X API endpoint (as the budget names it) or webhook.")
    price = models.CharField(max_length=40, help_text="Which of X's prices applied (social/prices.py).")
    calls = models.PositiveIntegerField(default=0, help_text="Calls (or webhook events) recorded.")
    units = models.PositiveIntegerField(default=0, help_text="Resources or requests billed.")
    free_units = models.PositiveIntegerField(default=0, help_text="Resources read again the same UTC day: free.")
    amount = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        verbose_name = "X spend"
        verbose_name_plural = "X spend"
        ordering = ["-day", "account", "endpoint", "price"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "endpoint", "price"], name="one_spend_row_per_price")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.day} {self.endpoint} {self.price}: ${self.amount}"
