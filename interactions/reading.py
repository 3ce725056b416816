"""What the agent has read: an interaction's customer messages after its agent last had it open are unread."""

from django.db.models import Q
from django.utils import timezone

from interactions.models import Interaction


def interaction_mark_read(*, interaction_id: int, agent) -> bool:
    """Notes that `agent` has the interaction open now: every message in it so far is read. Only its own agent reads
    it (a supervisor looking in, or another agent shown it, changes nothing). One UPDATE, its own transaction, no
    lock: a later time is never replaced by an earlier one. True if it was the agent's to read."""
    now = timezone.now()
    earlier = Q(agent_read_at__isnull=True) | Q(agent_read_at__lt=now)
    return bool(Interaction.objects.filter(earlier, pk=interaction_id, agent=agent).update(agent_read_at=now))
