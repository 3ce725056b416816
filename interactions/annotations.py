"""What an agent records about an interaction for colleagues, never sent to X: private notes and labels."""

from django.db import IntegrityError, transaction

from interactions.errors import InteractionError, NotYours
from interactions.models import Interaction, InteractionNote, InteractionState, Label

NOTE_MAX_LENGTH = 5_000


def _own_interaction(*, interaction_id: int, agent, action: str) -> Interaction:
    interaction = Interaction.objects.select_for_update().filter(pk=interaction_id).first()
    if interaction is None or interaction.agent_id != agent.pk:
        raise NotYours(f"Cannot {action} interaction #{interaction_id}: it is not assigned to you.")
    if interaction.state == InteractionState.DONE:
        raise InteractionError(f"Interaction #{interaction_id} is marked done: it can no longer be changed.")
    return interaction


@transaction.atomic
def interaction_note_add(
    *, interaction_id: int, agent, text: str, idempotency_key: str | None = None
) -> InteractionNote:
    """Adds a private note to the agent's interaction. It stays in Perch: no outbox row, nothing goes to X."""
    interaction = _own_interaction(interaction_id=interaction_id, agent=agent, action="add a note to")
    text = (text or "").strip()
    if not text:
        raise InteractionError("Write the note before adding it.")
    if len(text) > NOTE_MAX_LENGTH:
        raise InteractionError(f"This note is {len(text):,} characters; a note holds at most {NOTE_MAX_LENGTH:,}.")
    if idempotency_key and (existing := InteractionNote.objects.filter(idempotency_key=idempotency_key).first()):
        return existing  # the second click of a double-click
    try:
        with transaction.atomic():
            return InteractionNote.objects.create(
                interaction=interaction, author=agent, text=text, idempotency_key=idempotency_key or None
            )
    except IntegrityError:  # the same key committed meanwhile by a concurrent request
        return InteractionNote.objects.get(idempotency_key=idempotency_key)


@transaction.atomic
def interaction_label_set(*, interaction_id: int, agent, label_id: int, tagged: bool) -> Interaction:
    """Tags (tagged=True) or untags the agent's interaction with one active label; repeating it changes nothing."""
    interaction = _own_interaction(interaction_id=interaction_id, agent=agent, action="label")
    label = Label.objects.filter(pk=label_id, is_active=True).first()
    if label is None:
        raise InteractionError("That label does not exist (any more).")
    if tagged:
        interaction.labels.add(label)
    else:
        interaction.labels.remove(label)
    return interaction
