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
    poll_interval_seconds = models.PositiveIntegerField(default=60)
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
