"""State of Perch's built-in X API sandbox: users, tweets, DMs, media, likes, rate windows and injected faults."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class SandboxUser(models.Model):
    class Tier(models.TextChoices):
        """The access of the app acting as this user (the sandbox has one app per user)."""

        PAY_PER_USE = "pay_per_use", "Self-serve pay-per-use"
        BASIC_PRO = "basic_pro", "Self-serve Basic / Pro"
        ENTERPRISE = "enterprise", "Enterprise"

    id = models.CharField(primary_key=True, max_length=32)
    username = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=160, blank=True)
    token_version = models.PositiveIntegerField(default=1, help_text="Bumped when a token is reissued.")
    revoked = models.BooleanField(default=False)
    # Enterprise by default: the sandbox answers every endpoint unless a test or the demo says otherwise.
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.ENTERPRISE)
    accepts_dms = models.BooleanField(default=True, help_text="False: DMs from people they don't follow are refused.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"@{self.username}"

    @property
    def self_serve(self) -> bool:
        return self.tier != self.Tier.ENTERPRISE

    @property
    def access_token(self) -> str:
        # As on X, the access token starts with the user id and a dash. Ids are public, so outside a DEBUG checkout
        # (whose demo and tests use the plain form) the rest is keyed with SECRET_KEY: it cannot be guessed.
        plain = f"{self.id}-sandbox" if self.token_version == 1 else f"{self.id}-sandbox{self.token_version}"
        if settings.X_SANDBOX_OPEN:
            return plain
        return f"{plain}-{salted_hmac('x_sandbox.access_token', plain, algorithm='sha256').hexdigest()[:32]}"


class SandboxTweet(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    author = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="tweets")
    text = models.TextField()
    # Where the text X shows begins (display_text_range): after the @mentions X put in front of a reply.
    display_start = models.PositiveIntegerField(default=0)
    conversation_id = models.CharField(max_length=32)
    replied_to_id = models.CharField(max_length=32, blank=True)
    in_reply_to_user_id = models.CharField(max_length=32, blank=True)
    retweeted_id = models.CharField(max_length=32, blank=True)
    quoted_id = models.CharField(max_length=32, blank=True)
    media_keys = models.JSONField(default=list, blank=True)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class SandboxDMEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    conversation_id = models.CharField(max_length=80, db_index=True)
    sender = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="dms_sent")
    recipient = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="dms_received")
    text = models.TextField(blank=True)
    media_keys = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class SandboxMedia(models.Model):
    """An uploaded image X can attach: from a one-shot upload, a finished chunked one, or a simulated customer."""

    media_key = models.CharField(primary_key=True, max_length=40)
    media_id = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    category = models.CharField(max_length=20, blank=True)
    content = models.BinaryField()
    image_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # X's rules for DM media: only its uploader (and `additional_owners`) may attach it, and unless it was uploaded
    # `shared` it goes in one DM only (`dm_event_id` is that DM).
    shared = models.BooleanField(default=False)
    additional_owners = models.JSONField(default=list, blank=True)
    dm_event_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class SandboxUpload(models.Model):
    """A chunked upload (POST /2/media/upload/initialize): its segments so far, then X's processing of it. Once
    processed it is a SandboxMedia with the same id; the row stays, so STATUS keeps answering."""

    class State(models.TextChoices):
        UPLOADING = "uploading"  # initialized, segments being appended
        PENDING = "pending"  # finalized, processing not started
        IN_PROGRESS = "in_progress"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    media_id = models.CharField(primary_key=True, max_length=32)
    media_key = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="uploads")
    media_type = models.CharField(max_length=40)
    category = models.CharField(max_length=20)
    total_bytes = models.PositiveBigIntegerField()
    shared = models.BooleanField(default=False)
    additional_owners = models.JSONField(default=list, blank=True)
    content = models.BinaryField(default=b"")
    segments = models.PositiveIntegerField(default=0, help_text="Segments appended so far (the next index).")
    state = models.CharField(max_length=12, choices=State.choices, default=State.UPLOADING)
    processed = models.BooleanField(default=False, help_text="X processes it after FINALIZE (GIFs, large images).")
    fails = models.BooleanField(default=False, help_text="Its processing ends `failed` (an injected outcome).")
    created_at = models.DateTimeField(default=timezone.now)


class SandboxProcessingFault(models.Model):
    """The next `times` uploads X processes (GIFs, large images) end `failed` instead of `succeeded`."""

    times = models.PositiveIntegerField(default=1)
    fired = models.PositiveIntegerField(default=0)


class SandboxLike(models.Model):
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    tweet = models.ForeignKey(SandboxTweet, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tweet"], name="sandbox_like_once")]


class SandboxRateWindow(models.Model):
    key = models.CharField(max_length=120)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="sandbox_one_window")]


class SandboxLimit(models.Model):
    """A rate limit overridden at run time (tests force small limits through the simulator API)."""

    endpoint = models.CharField(primary_key=True, max_length=40)
    limit = models.PositiveIntegerField()
    window_seconds = models.PositiveIntegerField(default=900)


class SandboxFault(models.Model):
    """The next `times` requests matching method and path, after `skip` of them, fail with `status` (or, with
    status 0, succeed and answer only after `delay_ms`)."""

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField(default=500)
    skip = models.PositiveIntegerField(default=0)
    times = models.PositiveIntegerField(default=1)
    delay_ms = models.PositiveIntegerField(default=0)
    # "not_in_access": a 403 answers with X's `client-forbidden` body (the endpoint is not in the app's access).
    problem = models.CharField(max_length=20, blank=True)
    seen = models.PositiveIntegerField(default=0)
    fired = models.PositiveIntegerField(default=0)


class SandboxApp(models.Model):
    """A developer app, as X's Developer Console issues them: its consumer key and secret (the secret answers CRC
    checks and signs webhook deliveries) and its app-only Bearer token."""

    id = models.CharField(primary_key=True, max_length=32)
    consumer_key = models.CharField(max_length=200, unique=True)
    consumer_secret = models.CharField(max_length=200)
    bearer_token = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"app {self.pk} ({self.consumer_key})"


class SandboxWebhook(models.Model):
    """A webhook an app registered (POST /2/webhooks); `valid` is X's: the last CRC check passed."""

    id = models.CharField(primary_key=True, max_length=32)
    app = models.ForeignKey(SandboxApp, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=200)
    valid = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "url"], name="sandbox_one_webhook_per_url")]


class SandboxSubscription(models.Model):
    """An X Activity API subscription: one event type, for one user (`filter.user_id`), delivered to a webhook."""

    id = models.CharField(primary_key=True, max_length=32)
    app = models.ForeignKey(SandboxApp, on_delete=models.CASCADE, related_name="subscriptions")
    webhook = models.ForeignKey(SandboxWebhook, null=True, on_delete=models.SET_NULL, related_name="subscriptions")
    event_type = models.CharField(max_length=64)
    user = models.ForeignKey(SandboxUser, null=True, on_delete=models.CASCADE, related_name="subscriptions")
    tag = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)


class SandboxDelivery(models.Model):
    """Every delivery the sandbox made or meant to make to a webhook, with its envelope as sent and how it went:
    what replay (POST /2/webhooks/replay) sends again."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event_uuid = models.CharField(max_length=24)
    webhook = models.ForeignKey(SandboxWebhook, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(SandboxSubscription, null=True, on_delete=models.SET_NULL)
    event_type = models.CharField(max_length=64)
    envelope = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class SandboxReplayJob(models.Model):
    """A replay job (POST /2/webhooks/replay): the webhook's logged deliveries of [from_at, to_at] sent again, then
    the completion message. One at a time per webhook."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        INCOMPLETE = "incomplete", "Incomplete"

    id = models.CharField(primary_key=True, max_length=32)
    webhook = models.ForeignKey(SandboxWebhook, on_delete=models.CASCADE, related_name="replay_jobs")
    from_at = models.DateTimeField()
    to_at = models.DateTimeField()  # the last minute replayed, inclusive (openapi.json)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    completion_status = models.PositiveSmallIntegerField(null=True, blank=True)  # Perch's answer to the message
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class SandboxCharge(models.Model):
    """What the sandbox, as X, bills one user per UTC day, endpoint and price: the sum of its x-sandbox-cost-usd
    headers (tests compare Perch's ledger with it)."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="charges")
    day = models.DateField()
    endpoint = models.CharField(max_length=40)
    price = models.CharField(max_length=40)
    calls = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "endpoint", "price"], name="sandbox_one_charge_row")
        ]


class SandboxBilledResource(models.Model):
    """A resource billed to a user today: reading it again the same UTC day is free, as on X."""

    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE)
    day = models.DateField()
    kind = models.CharField(max_length=20)
    resource_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "kind", "resource_id"], name="sandbox_billed_once_a_day")
        ]
