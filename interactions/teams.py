"""The team that works an interaction, and that team's two timings: how long an offer of it lasts, and how long an
agent who declined it waits before it is offered to them again. Routing and the lifecycle moves both read them."""

from datetime import timedelta

from interactions.models import Interaction
from workspace.agents.models import Team

# No team: the defaults of Team.offer_timeout_seconds and Team.reoffer_cooldown_seconds.
DEFAULT_OFFER_TIMEOUT_SECONDS = 30
DEFAULT_REOFFER_COOLDOWN_SECONDS = 60


def team_of(interaction: Interaction) -> Team | None:
    """The team that works this interaction: a routing rule's, else its X account's (None: anyone)."""
    return interaction.team or (interaction.x_account.team if interaction.x_account_id else None)


def offer_timeout(interaction: Interaction) -> timedelta:
    """How long an offer of this interaction waits for Accept or Reject before it expires."""
    team = team_of(interaction)
    return timedelta(seconds=team.offer_timeout_seconds if team else DEFAULT_OFFER_TIMEOUT_SECONDS)


def reoffer_cooldown(interaction: Interaction) -> timedelta:
    """How long an agent who declined this interaction waits before it is offered to them again."""
    team = team_of(interaction)
    return timedelta(seconds=team.reoffer_cooldown_seconds if team else DEFAULT_REOFFER_COOLDOWN_SECONDS)
