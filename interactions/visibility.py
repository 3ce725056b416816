"""Who may see what: one rule for contacts, and an interaction goes with its contact. Every screen, the API and the
pages the websocket makes a browser fetch ask here."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact
from interactions.models import OPEN_STATES, Interaction, InteractionState, Offer

NOT_DONE = (*OPEN_STATES, InteractionState.ENDED)  # an interaction stays its agent's work until Mark Done


def _contact_visibility(*, agent, via: str) -> Q:
    """The rule of visible_contacts_q, written once: `via` is the path from the model queried to its contact."""
    to = f"{via}__" if via else ""
    in_hand = Interaction.objects.filter(agent=agent, state__in=NOT_DONE).values("contact_id")
    offered = Offer.objects.filter(agent=agent, state=Offer.State.OFFERED, expires_at__gt=timezone.now())
    return (
        Q(**{f"{to}assigned_agent": agent})
        | Q(**{f"{to}assigned_agent__isnull": True})
        | Q(**{f"{to}pk__in": in_hand})
        | Q(**{f"{to}pk__in": offered.values("interaction__contact_id")})
    )


def visible_contacts_q(*, agent) -> Q:
    """THE rule for which contacts an agent (or a staff user in the workspace) may see and edit. Deny by default;
    a contact is visible to an agent when it is
      - assigned to the agent (their Assigned Contacts), or
      - unassigned (the shared pool the Communication tab lists to every agent: a new customer, or one whose agent
        a supervisor removed), or
      - the contact of an interaction that is the agent's and not yet marked done, or is offered to them right now.
    Nothing else: having worked a contact once gives no access. When a supervisor reassigns a contact to another
    agent, its former agent loses it, with all its past interactions, once they have marked their last one done.
    Every page, partial, list, search, image and the API go through this rule (and visible_interactions_q, which
    follows it); the websocket carries ids only, and the pages it makes the browser fetch go through it too."""
    return _contact_visibility(agent=agent, via="")


def visible_interactions_q(*, agent) -> Q:
    """An interaction is visible exactly when its contact is (visible_contacts_q): the Conversation tab and the
    Communication tab show a visible contact's every interaction anyway, so the two rules cannot disagree. Seeing
    is not acting: only the interaction's own agent sends, ends or marks it done (interactions.services)."""
    return _contact_visibility(agent=agent, via="contact")


def who_may_see(*, contact_id: int) -> list[int]:
    """The same rule read the other way: the ids of the workspace's users (agents, and staff, as the workspace lets
    them in) who may see the contact, and so its interactions. For a pushed hint that is meant for whoever may watch
    (the customer is typing); tests/interactions/test_visibility_watchers.py checks it agrees with
    visible_contacts_q case by case. An unassigned contact is in everyone's shared pool: everyone may."""
    contact = Contact.objects.filter(pk=contact_id).values("assigned_agent_id").first()
    if contact is None:
        return []
    users = get_user_model().objects.filter(is_active=True).filter(Q(agent_profile__isnull=False) | Q(is_staff=True))
    if contact["assigned_agent_id"] is not None:
        in_hand = Interaction.objects.filter(contact_id=contact_id, state__in=NOT_DONE).values("agent_id")
        offered = Offer.objects.filter(
            interaction__contact_id=contact_id, state=Offer.State.OFFERED, expires_at__gt=timezone.now()
        ).values("agent_id")
        users = users.filter(Q(pk=contact["assigned_agent_id"]) | Q(pk__in=in_hand) | Q(pk__in=offered))
    return list(users.order_by("pk").values_list("pk", flat=True))


def visible_contacts(*, agent):
    return Contact.objects.filter(visible_contacts_q(agent=agent))


def contacts_matching(contacts, *, query: str):
    """Those of `contacts` whose name, X handle, X id or message text match the query (stripped, @-less; an empty
    query matches none): the Communication tab's search and the API's `?q=` both ask here."""
    query = query.strip().lstrip("@")
    if not query:
        return contacts.none()
    return contacts.filter(
        Q(display_name__icontains=query)
        | Q(identities__handle__icontains=query)
        | Q(identities__external_id=query)
        | Q(interactions__messages__text__icontains=query)
    ).distinct()
