"""Agent presence: Ready / Not Ready per channel. Going Ready asks routing for work, so presence lives with the
domain, above the agent models."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from interactions.scheduling import request_routing
from workspace.agents.models import ChannelPresence
from workspace.infra import tabs
from workspace.infra.events import BoardChanged, PresenceChanged
from workspace.infra.push import notify_agent, notify_board


@transaction.atomic
def presence_set(*, agent, channel: str, ready: bool, reason: str = "") -> ChannelPresence:
    """Sets the agent Ready or Not Ready (with a reason) on one channel; other tabs of the agent follow live."""
    if ready:
        reason = ""
    presence, created = ChannelPresence.objects.select_for_update().get_or_create(
        agent=agent, channel=channel, defaults={"ready": ready, "reason": reason, "since": timezone.now()}
    )
    if not created and (presence.ready, presence.reason) != (ready, reason):
        presence.ready, presence.reason, presence.since = ready, reason, timezone.now()
        presence.save(update_fields=["ready", "reason", "since"])
    notify_agent(agent.pk, PresenceChanged(channel=channel, ready=ready))
    notify_board(BoardChanged(agent_id=agent.pk))
    if ready:
        request_routing()
    return presence


def presence_sign_out(*, agent) -> int:
    """Not Ready ("signed out") on every channel the agent is Ready on; returns how many changed."""
    changed = 0
    for presence in ChannelPresence.objects.filter(agent=agent, ready=True):
        presence_set(agent=agent, channel=presence.channel, ready=False, reason=ChannelPresence.NotReadyReason.OFFLINE)
        changed += 1
    return changed


def presence_grace_seconds() -> int:
    return getattr(settings, "PRESENCE_GRACE_SECONDS", 60)


def presence_sign_out_if_gone(*, agent_id: int) -> bool:
    """An agent whose every tab has been closed for the grace period goes Not Ready (signed out) everywhere,
    so nothing is offered to a ghost. Returns whether anything changed."""
    if tabs.has_open_tab(agent_id) or tabs.seconds_since_last_close(agent_id) < presence_grace_seconds():
        return False
    agent = get_user_model().objects.filter(pk=agent_id).first()
    return bool(agent) and presence_sign_out(agent=agent) > 0


def presence_sign_out_ghosts() -> int:
    """Agents Ready with no live tab anywhere go Not Ready too. A tab that closes schedules its own check, but when a
    web process dies its tabs never say goodbye; their liveness keys just lapse. Returns how many."""
    since = timezone.now() - timedelta(seconds=presence_grace_seconds())
    ready = ChannelPresence.objects.filter(ready=True, since__lte=since).values_list("agent_id", flat=True)
    return sum(1 for agent_id in set(ready) if presence_sign_out_if_gone(agent_id=agent_id))
