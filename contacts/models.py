from django.conf import settings
from django.db import models
from django.db.models import Q


class IdentityChannel(models.TextChoices):
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    TWITTER = "twitter", "X (Twitter)"


class Contact(models.Model):
    """A customer, known through one or more identities (an X account, an email address, a phone number)."""

    display_name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    is_vip = models.BooleanField("VIP", default=False)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_contacts",
        help_text="Sticky owner: routing offers this contact's conversations to this agent first.",
    )
    default_outbound_channel = models.CharField(
        max_length=16, choices=IdentityChannel.choices, default=IdentityChannel.TWITTER,
        help_text="Where Write a message and notifications go: X (a DM) or Email; SMS and WhatsApp are not connected.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["assigned_agent", "display_name"])]

    def __str__(self) -> str:
        return self.display_name


class ContactIdentity(models.Model):
    """One way to reach a contact. X user ids are strings: they exceed 2^53. An identity without its id names
    nobody: the database refuses it on every channel, or all such rows of a channel would be one "person"."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(max_length=16, choices=IdentityChannel.choices)
    external_id = models.CharField(
        max_length=254, help_text="X user id, email address, E.164 phone number (SMS, WhatsApp) or chat visitor id."
    )
    handle = models.CharField(max_length=100, blank=True, help_text="X @username, without the @.")
    display_name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="identity_unique_per_channel"),
            models.CheckConstraint(
                condition=~Q(external_id=""),
                name="identity_has_external_id",
                violation_error_message="An identity needs its X user id, email address or phone number.",
            ),
        ]
        indexes = [models.Index(fields=["channel", "handle"])]

    def __str__(self) -> str:
        label = f"@{self.handle}" if self.handle else self.external_id
        return f"{self.get_channel_display()} {label}"
