"""`check --deploy` warns while the sandbox is served by a production (DEBUG off) deployment."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def sandbox_enabled_in_production(app_configs, **kwargs):
    if not settings.X_SANDBOX_ENABLED or settings.DEBUG:
        return []
    return [
        checks.Warning(
            "The X sandbox is enabled with DEBUG off: /x-sandbox/ plays X on this server (fake users, tweets and DMs, "
            "fault injection) for a staff login or anyone holding X_SANDBOX_TOKEN.",
            hint="Set X_SANDBOX_ENABLED=False unless this deployment is for training or demos.",
            id="perch.W001",
        )
    ]
