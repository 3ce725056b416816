"""Reads on contacts."""

from django.db.models import Count, Max, Q

from contacts.models import Contact
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


def contact_matches_q(*, query: str) -> Q:
    """Contacts whose name, handle, X id or messages match the (stripped, @-less) query."""
    return (
        Q(display_name__icontains=query)
        | Q(identities__handle__icontains=query)
        | Q(identities__external_id=query)
        | Q(interactions__messages__text__icontains=query)
    )


def contact_search(*, query: str, limit: int = 25):
    """Contacts whose name, handle, X id or messages match the query."""
    query = query.strip().lstrip("@")
    if not query:
        return Contact.objects.none()
    ids = Contact.objects.filter(contact_matches_q(query=query)).values("id").distinct()[:limit]
    return Contact.objects.filter(id__in=ids).prefetch_related("identities").order_by("display_name")
