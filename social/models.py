import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse

from social.fields import EncryptedTextField


def new_webhook_token() -> str:
    """The secret part of an account's webhook URL (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class XAccount(models.Model):
    """An organisation's X account that Perch listens to and answers from."""

    class Mode(models.TextChoices):
        POLLING = "polling", "Polling"
        WEBHOOK = "webhook", "Account Activity webhook"

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
    poll_interval_seconds = models.PositiveIntegerField(default=60)
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
        """Where X delivers this account's Account Activity (register it with X with this server's origin)."""
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
