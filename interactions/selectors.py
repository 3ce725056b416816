"""Reads on interactions that screens other than the agent's own list need."""

from django.db.models import Count, Max

from interactions.models import Interaction


def contact_history(*, contact_id: int, limit: int = 20, before_id: int | None = None):
    """The contact's interactions, newest first, with their message counts — a constant number of queries."""
    interactions = (
        Interaction.objects.filter(contact_id=contact_id)
        .select_related("x_account", "agent", "disposition")
        .annotate(message_count=Count("messages"), last_message_at=Max("messages__created_at"))
        .order_by("-opened_at", "-id")
    )
    if before_id is not None:
        interactions = interactions.filter(id__lt=before_id)
    return interactions[:limit]
