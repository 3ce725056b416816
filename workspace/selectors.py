"""Reads for the agent workspace."""

from interactions.models import OPEN_STATES, Channel, Interaction
from workspace.models import ChannelPresence


def presence_by_channel(*, agent) -> dict[str, ChannelPresence | None]:
    """Each channel with the agent's presence on it (None: never set, i.e. Not Ready)."""
    found = {p.channel: p for p in ChannelPresence.objects.filter(agent=agent)}
    return {channel: found.get(channel) for channel in Channel.values}


def agent_open_interactions(*, agent):
    """The interactions in the agent's left-hand list: theirs, not yet marked done."""
    return (
        Interaction.objects.filter(agent=agent, state__in=[*OPEN_STATES, "ended"])
        .select_related("contact", "x_account")
        .order_by("-opened_at")
    )
