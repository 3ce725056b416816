from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from workspace import live, services
from workspace.models import ChannelPresence


def presence_grace_seconds() -> int:
    return getattr(settings, "PRESENCE_GRACE_SECONDS", 60)


@shared_task(name="workspace.presence_ghost_check", ignore_result=True)
def presence_ghost_check(agent_id: int) -> bool:
    """An agent whose every tab has been closed for the grace period goes Not Ready (signed out) everywhere,
    so nothing is offered to a ghost."""
    if live.has_open_tab(agent_id) or live.seconds_since_last_close(agent_id) < presence_grace_seconds():
        return False
    agent = get_user_model().objects.filter(pk=agent_id).first()
    return bool(agent) and services.presence_sign_out(agent=agent) > 0


@shared_task(name="workspace.sign_out_ghosts", ignore_result=True)
def sign_out_ghosts() -> int:
    """Run by beat: agents Ready with no live tab anywhere go Not Ready too. A tab that closes schedules its own
    check, but when a web process dies its tabs never say goodbye; their liveness keys just lapse."""
    since = timezone.now() - timedelta(seconds=presence_grace_seconds())
    ready = ChannelPresence.objects.filter(ready=True, since__lte=since).values_list("agent_id", flat=True)
    return sum(1 for agent_id in set(ready) if presence_ghost_check(agent_id))
