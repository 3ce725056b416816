from django.db import migrations, models
from django.utils import timezone


def clear_notices_of_conversations_no_longer_waiting(apps, schema_editor):
    """The “… replied” notices written before notices were cleared: those whose conversation no longer waits are
    cleared now, or every agent would find a pile of stale "Show" toasts after the upgrade."""
    AgentNotice = apps.get_model("workspace", "AgentNotice")
    stale = AgentNotice.objects.filter(kind="contact_replied").exclude(interaction__state__in=["queued", "offered"])
    stale.update(cleared_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0006_team_reoffer_cooldown"),
    ]

    operations = [
        migrations.AddField(
            model_name="agentnotice",
            name="cleared_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(clear_notices_of_conversations_no_longer_waiting, migrations.RunPython.noop),
    ]
