"""The interaction lifecycle: queued → offered → active → ended → done. Every move is one function here."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from interactions.errors import InteractionError, InvalidTransition, NotYours
from interactions.models import ALLOWED_TRANSITIONS, Interaction, InteractionState, Label, Offer
from interactions.routing import request_routing
from workspace.notifications import notify_agent

DEFAULT_OFFER_TIMEOUT = timedelta(seconds=30)


def _locked(interaction_id: int) -> Interaction:
    # A missing id is answered like someone else's (404), so guessing ids tells nothing and never errors.
    try:
        return Interaction.objects.select_for_update().get(pk=interaction_id)
    except Interaction.DoesNotExist:
        raise NotYours(f"No such interaction #{interaction_id}.") from None


def _move(interaction: Interaction, to_state: str, *, action: str) -> None:
    """Refuses any move the state machine does not allow, in words an agent understands."""
    if to_state not in ALLOWED_TRANSITIONS[interaction.state]:
        raise InvalidTransition(
            f"Cannot {action} interaction #{interaction.pk}: it is {interaction.get_state_display().lower()}."
        )
    interaction.state = to_state


def _check_owner(interaction: Interaction, agent, *, action: str) -> None:
    if interaction.agent_id != agent.pk:
        raise NotYours(f"Cannot {action} interaction #{interaction.pk}: it is not assigned to you.")


@transaction.atomic
def interaction_offer(*, interaction_id: int, agent, timeout: timedelta = DEFAULT_OFFER_TIMEOUT) -> Offer:
    """Offers a queued interaction to one agent; the agent's browser is told once the offer is committed."""
    interaction = _locked(interaction_id)
    _move(interaction, InteractionState.OFFERED, action="offer")
    interaction.save(update_fields=["state"])
    offer = Offer.objects.create(interaction=interaction, agent=agent, expires_at=timezone.now() + timeout)
    notify_agent(agent.pk, "interaction.offered", interaction_id=interaction.pk, offer_id=offer.pk)
    return offer


def _close_live_offer(interaction: Interaction, *, agent, state: str) -> Offer:
    offer = Offer.objects.select_for_update().filter(interaction=interaction, state=Offer.State.OFFERED).first()
    if offer is None or offer.agent_id != agent.pk:
        raise NotYours(f"Interaction #{interaction.pk} is not offered to you (any more).")
    offer.state = state
    offer.responded_at = timezone.now()
    offer.save(update_fields=["state", "responded_at"])
    return offer


@transaction.atomic
def interaction_accept(*, interaction_id: int, agent) -> Interaction:
    """The agent takes the offered interaction: it becomes active and theirs."""
    interaction = _locked(interaction_id)
    _move(interaction, InteractionState.ACTIVE, action="accept")
    _close_live_offer(interaction, agent=agent, state=Offer.State.ACCEPTED)
    interaction.agent = agent
    interaction.accepted_at = timezone.now()
    interaction.save(update_fields=["state", "agent", "accepted_at"])
    return interaction


@transaction.atomic
def interaction_reject(*, interaction_id: int, agent) -> Interaction:
    """The agent declines the offer; the interaction goes back to the queue for someone else."""
    interaction = _locked(interaction_id)
    _move(interaction, InteractionState.QUEUED, action="reject")
    _close_live_offer(interaction, agent=agent, state=Offer.State.REJECTED)
    interaction.queued_at = timezone.now()
    interaction.save(update_fields=["state", "queued_at"])
    request_routing()  # to the next agent; this one is skipped for it
    return interaction


@transaction.atomic
def interaction_end(*, interaction_id: int, agent=None, ended_by: str = Interaction.EndedBy.AGENT) -> Interaction:
    """Ends the conversation (agent, customer gone, supervisor or system); the view stays open until Mark Done."""
    interaction = _locked(interaction_id)
    if ended_by == Interaction.EndedBy.AGENT:
        _check_owner(interaction, agent, action="end")
    _move(interaction, InteractionState.ENDED, action="end")
    interaction.ended_at = timezone.now()
    interaction.ended_by = ended_by
    interaction.save(update_fields=["state", "ended_at", "ended_by"])
    request_routing()  # capacity freed
    if interaction.agent_id:
        notify_agent(interaction.agent_id, "interaction.ended", interaction_id=interaction.pk)
    return interaction


@transaction.atomic
def interaction_mark_done(
    *, interaction_id: int, agent, disposition: Label | None = None, note: str = ""
) -> Interaction:
    """Closes an ended interaction with a disposition label and a note; it leaves the agent's list."""
    interaction = _locked(interaction_id)
    _check_owner(interaction, agent, action="mark done")
    _move(interaction, InteractionState.DONE, action="mark done")
    interaction.done_at = timezone.now()
    interaction.disposition = disposition
    interaction.done_note = note
    interaction.save(update_fields=["state", "done_at", "disposition", "done_note"])
    return interaction


SENTIMENT_VALUES = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}


@transaction.atomic
def interaction_set_sentiment(*, interaction_id: int, agent, sentiment: str) -> Interaction:
    """The agent knows better than the detector: their sentiment sticks and the queue is re-prioritised."""
    interaction = _locked(interaction_id)
    _check_owner(interaction, agent, action="change the sentiment of")
    if sentiment not in SENTIMENT_VALUES:
        raise InteractionError(f"Unknown sentiment {sentiment!r}: choose negative, neutral or positive.")
    interaction.sentiment, interaction.sentiment_overridden = SENTIMENT_VALUES[sentiment], True
    interaction.save(update_fields=["sentiment", "sentiment_overridden"])
    return interaction
