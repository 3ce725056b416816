"""The notices an agent gets: kept for the Notifications list, pushed to their open tabs."""

from django.utils import timezone

from workspace.agents.models import AgentNotice
from workspace.infra.events import NoticeCreated, NoticesCleared
from workspace.infra.push import notify_agent


def notice_add(*, agent_id: int, kind: str, text: str, contact_id=None, interaction_id=None) -> AgentNotice:
    """Keeps a notice for the agent's Notifications list and tells their open tabs, after commit."""
    notice = AgentNotice.objects.create(
        agent_id=agent_id, kind=kind, text=text[:300], contact_id=contact_id, interaction_id=interaction_id
    )
    notify_agent(agent_id, NoticeCreated(notice_id=notice.pk, contact_id=contact_id))
    return notice


def notices_clear(*, interaction_id: int) -> int:
    """The conversation was taken or handled (accepted by anyone, reassigned, force-ended, marked done): its
    "… replied — Show" notices are no longer true, for whichever agent got them. Their open tabs drop them after
    commit. Missed offers stay: they are a record of what the agent missed. Returns how many were cleared."""
    pending = AgentNotice.objects.filter(
        kind=AgentNotice.Kind.CONTACT_REPLIED, interaction_id=interaction_id, cleared_at__isnull=True
    )
    told = list(pending.values_list("agent_id", "contact_id").distinct())
    cleared = pending.update(cleared_at=timezone.now())
    for agent_id, contact_id in told:
        notify_agent(agent_id, NoticesCleared(interaction_id=interaction_id, contact_id=contact_id))
    return cleared
