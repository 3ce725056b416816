"""Who sends on each channel: the domain asks the channel's service, never the channel's own modules.

The outbox queues a Message and asks the service of the interaction's channel to send it; starting a DM with a
contact asks it which account writes and in which conversation. Each channel app registers its service when Django
starts (the X app registers its service for Chat and Twitter in its AppConfig.ready()).
"""

from dataclasses import dataclass
from typing import Protocol

from interactions.errors import InteractionError


@dataclass(frozen=True)
class Address:
    """Where a new direct message to a contact goes: the brand's account that writes, and the conversation."""

    x_account: object  # the account model is the channel's own
    thread_key: str


class ChannelService(Protocol):
    def dispatch_send(self, message_id: int) -> None:
        """Hands a committed outbox row to a worker; never raises for a broker that is down (the sweep sends it)."""

    def address_dm(self, contact) -> Address:
        """Which account writes a new DM to the contact, and in which conversation; InteractionError when none."""

    def send_refusal(self, *, interaction, kind: str, tweet=None) -> str:
        """Why the interaction's account may not send a message of `kind` (a reply or a Like of `tweet`, the
        Message answered) now, in words; "" when it may. Asked before anything is queued, so the channel's own
        refusal (X's access rules) is said to the agent instead of met after the click."""

    def dm_refusal(self, *, interaction, tweet) -> str:
        """Why the channel cannot deliver a DM to the author of `tweet` (a Message), in words; "" when it can or
        cannot tell. Asked before Move to DM says in public that a DM is coming."""


_services: dict[str, ChannelService] = {}


def register(channel: str, service: ChannelService) -> None:
    _services[channel] = service


def service_for(channel: str) -> ChannelService:
    service = _services.get(channel)
    if service is None:
        raise InteractionError(f"Perch has no sender for the {channel!r} channel: its app is not installed.")
    return service
