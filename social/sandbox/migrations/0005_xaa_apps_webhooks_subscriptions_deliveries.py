# The X Activity API in the sandbox: apps, webhooks registered by apps (replacing the per-user shortcut webhook),
# subscriptions and the delivery log. Sandbox rows are test and demo data: the old webhooks are dropped.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("x_sandbox", "0004_v2_media_upload"),
    ]

    operations = [
        migrations.DeleteModel(name="SandboxWebhook"),
        migrations.CreateModel(
            name="SandboxApp",
            fields=[
                ("id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("consumer_key", models.CharField(max_length=200, unique=True)),
                ("consumer_secret", models.CharField(max_length=200)),
                ("bearer_token", models.CharField(max_length=200, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="SandboxWebhook",
            fields=[
                ("id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("url", models.URLField()),
                ("valid", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="webhooks", to="x_sandbox.sandboxapp"
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("app", "url"), name="sandbox_one_webhook_per_url")],
            },
        ),
        migrations.CreateModel(
            name="SandboxSubscription",
            fields=[
                ("id", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("event_type", models.CharField(max_length=64)),
                ("tag", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="subscriptions",
                        to="x_sandbox.sandboxapp",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="subscriptions",
                        to="x_sandbox.sandboxuser",
                    ),
                ),
                (
                    "webhook",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="subscriptions",
                        to="x_sandbox.sandboxwebhook",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="SandboxDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_uuid", models.CharField(max_length=24)),
                ("event_type", models.CharField(max_length=64)),
                ("envelope", models.JSONField()),
                (
                    "state",
                    models.CharField(
                        choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("error", models.CharField(blank=True, max_length=300)),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("attempted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "subscription",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.SET_NULL, to="x_sandbox.sandboxsubscription"
                    ),
                ),
                (
                    "webhook",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="x_sandbox.sandboxwebhook",
                    ),
                ),
            ],
            options={"ordering": ["created_at", "pk"]},
        ),
    ]
