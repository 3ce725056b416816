"""The interaction lifecycle: queued → offered → active → ended → done. Every move of an interaction or of its offers
is one function here (routing only chooses whom to offer to)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from contacts.models import Contact
from interactions import outbox
from interactions.channels import service_for
from interactions.errors import InteractionError, InvalidTransition, NotYours
from interactions.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATES,
    Channel,
    Interaction,
    InteractionState,
    Label,
    Message,
    Offer,
)
from interactions.scheduling import expire_offer_when_due, request_routing
from interactions.sentiment import BAND_SCORES
from interactions.teams import offer_timeout, reoffer_cooldown
from workspace.agents.audit import Verb, audit_record
from workspace.agents.models import AgentProfile
from workspace.agents.notices import notice_add, notices_clear
from workspace.infra.events import (
    BoardChanged,
    InteractionEnded,
    InteractionOffered,
    InteractionsChanged,
    InteractionWithdrawn,
)
from workspace.infra.push import notify_agent, notify_board


def _locked(interaction_id: int, *related: str) -> Interaction:
    """The interaction with its row locked until the transaction ends; `related` rows are read with it, unlocked."""
    # A missing id is answered like someone else's (404), so guessing ids tells nothing and never errors.
    try:
        return Interaction.objects.select_for_update(of=("self",)).select_related(*related).get(pk=interaction_id)
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
def interaction_offer(*, interaction_id: int, agent) -> Offer:
    """Offers a queued interaction to one agent (routing chose them) for their team's offer timeout. Once the offer
    commits, the agent's browser shows it and its timer starts (offer_expire)."""
    interaction = _locked(interaction_id, "team", "x_account__team")  # the team's timeout, in the same query
    _move(interaction, InteractionState.OFFERED, action="offer")
    interaction.save(update_fields=["state"])
    timeout = offer_timeout(interaction)
    offer = Offer.objects.create(interaction=interaction, agent=agent, expires_at=timezone.now() + timeout)
    notify_agent(agent.pk, InteractionOffered(interaction_id=interaction.pk, offer_id=offer.pk))
    notify_board(BoardChanged(interaction_id=interaction.pk))
    expire_offer_when_due(offer.pk, timeout.total_seconds())
    return offer


@transaction.atomic
def offer_expire(*, offer_id: int) -> bool:
    """An offer nobody answered in time: the interaction goes back to the queue, keeping its place, to someone else
    now (and to this agent again after the cool-down, like a reject); the agent gets a missed-offer notice. False:
    it was answered, withdrawn or already expired, or its time is not up."""
    # The interaction's row first, then its offer's, as Accept and Reject lock them: an Accept clicked as the timer
    # fires waits for the expiry (or the expiry for it) instead of deadlocking with it.
    interaction = (
        Interaction.objects.select_for_update(of=("self",))
        .select_related("contact", "team", "x_account__team")
        .filter(offers=offer_id)
        .first()
    )
    offer = Offer.objects.select_for_update().filter(pk=offer_id, state=Offer.State.OFFERED).first()
    if interaction is None or offer is None or offer.expires_at > timezone.now():
        return False
    offer.state, offer.responded_at = Offer.State.EXPIRED, timezone.now()
    offer.save(update_fields=["state", "responded_at"])
    if interaction.state == InteractionState.OFFERED:
        _move(interaction, InteractionState.QUEUED, action="expire the offer of")
        interaction.save(update_fields=["state"])
    notify_agent(offer.agent_id, InteractionWithdrawn(interaction_id=offer.interaction_id, offer_id=offer.pk))
    text = f"You missed a {interaction.get_kind_display()} offer from {interaction.contact.display_name}."
    notice_add(agent_id=offer.agent_id, kind="offer_missed", contact_id=interaction.contact_id,
               interaction_id=interaction.pk, text=text)  # fmt: skip
    request_routing(again_in=reoffer_cooldown(interaction).total_seconds())
    return True


def offers_expire_overdue() -> int:
    """Beat's sweep for offers whose timer task was lost (a worker restarted, the broker was down); how many."""
    overdue = Offer.objects.filter(state=Offer.State.OFFERED, expires_at__lte=timezone.now())
    return sum(1 for offer_id in list(overdue.values_list("pk", flat=True)) if offer_expire(offer_id=offer_id))


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
    offer = _close_live_offer(interaction, agent=agent, state=Offer.State.ACCEPTED)
    interaction.agent = agent
    interaction.accepted_at = timezone.now()
    interaction.save(update_fields=["state", "agent", "accepted_at"])
    # A customer's first agent becomes their agent: on that agent's Assigned Contacts, and the customer's next
    # messages come back to them (sticky routing, "contact replied"). A supervisor reassigns in the admin.
    Contact.objects.filter(pk=interaction.contact_id, assigned_agent__isnull=True).update(assigned_agent=agent)
    audit_record(actor=agent, verb=Verb.ACCEPT, obj=interaction)
    notices_clear(interaction_id=interaction.pk)  # "… replied — Show" is no longer true for anyone
    notify_board(BoardChanged(interaction_id=interaction.pk))
    # The agent's other tabs: the offer leaves them and the conversation joins their list.
    notify_agent(agent.pk, InteractionWithdrawn(interaction_id=interaction.pk, offer_id=offer.pk))
    notify_agent(agent.pk, InteractionsChanged(interaction_id=interaction.pk))
    return interaction


def offer_accept(*, offer_id: int, agent) -> Interaction:
    """Accept on an offer's toast. When it does not take, the refusal says why in the agent's words: mostly an offer
    that ran out, or was withdrawn, as it was clicked."""
    offer = Offer.objects.filter(pk=offer_id, agent=agent).first()
    if offer is None:
        raise NotYours(f"Offer #{offer_id} is not yours.")
    try:
        return interaction_accept(interaction_id=offer.interaction_id, agent=agent)
    except InteractionError as exc:
        offer.refresh_from_db(fields=["state"])
        if offer.state == Offer.State.EXPIRED:
            raise InteractionError("That offer ran out before your Accept arrived; it went back to the queue.") from exc
        if offer.state == Offer.State.REJECTED:
            raise InteractionError("You rejected that offer; it went back to the queue.") from exc
        if offer.state == Offer.State.WITHDRAWN:
            raise InteractionError(
                "That offer was withdrawn (a supervisor moved it, or it ended) before your Accept arrived."
            ) from exc
        raise


@transaction.atomic
def interaction_reject(*, interaction_id: int, agent) -> Interaction:
    """The agent declines the offer; the interaction goes back to the queue, keeping its place (queued_at), for
    someone else now and for this agent again once their team's re-offer cool-down has passed."""
    interaction = _locked(interaction_id)
    _move(interaction, InteractionState.QUEUED, action="reject")
    _close_live_offer(interaction, agent=agent, state=Offer.State.REJECTED)
    interaction.save(update_fields=["state"])
    audit_record(actor=agent, verb=Verb.REJECT, obj=interaction)
    # To the next agent now; and when this agent's cool-down ends, in case nobody else took it.
    request_routing(again_in=reoffer_cooldown(interaction).total_seconds())
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
    if ended_by == Interaction.EndedBy.AGENT:
        audit_record(actor=agent, verb=Verb.END, obj=interaction)
    request_routing()  # capacity freed
    if interaction.agent_id:
        notify_agent(interaction.agent_id, InteractionEnded(interaction_id=interaction.pk))
    return interaction


def _quiet_chats(*, since):
    """Active DM chats whose latest message the customer has received from the agent before `since`, and has not
    answered. Outbound messages not (yet) sent do not count: the customer has not seen them."""
    delivered = ~Q(direction=Message.Direction.OUTBOUND) | Q(delivery=Message.Delivery.SENT)
    latest = (
        Message.objects.filter(delivered, interaction=OuterRef("pk"))
        .annotate(at=Coalesce("sent_at", "created_at"))
        .order_by("-at", "-pk")
    )
    return (
        Interaction.objects.filter(kind=Channel.CHAT, state=InteractionState.ACTIVE)
        .annotate(last_direction=Subquery(latest.values("direction")[:1]), last_at=Subquery(latest.values("at")[:1]))
        .filter(last_direction=Message.Direction.OUTBOUND, last_at__lt=since)
    )


def interactions_end_quiet_chats() -> int:
    """The customer's side of ending a chat. X has no "left the conversation" event, so a chat whose agent answered
    last, with nothing from the customer for CUSTOMER_GONE_MINUTES since, ends as "the customer has left" (the agent
    sees it live and marks it done). A customer still waiting for an answer never times out. Returns how many."""
    if not settings.CUSTOMER_GONE_MINUTES:
        return 0
    since = timezone.now() - timedelta(minutes=settings.CUSTOMER_GONE_MINUTES)
    ended = 0
    for interaction_id in list(_quiet_chats(since=since).values_list("pk", flat=True)):
        with transaction.atomic():
            _locked(interaction_id)  # then ask again: the customer may have written, or the agent ended it, meanwhile
            if _quiet_chats(since=since).filter(pk=interaction_id).exists():
                interaction_end(interaction_id=interaction_id, ended_by=Interaction.EndedBy.CUSTOMER)
                ended += 1
    return ended


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
    audit_record(
        actor=agent, verb=Verb.MARK_DONE, obj=interaction, details={"disposition": str(disposition or ""), "note": note}
    )
    notices_clear(interaction_id=interaction.pk)
    notify_board(BoardChanged(interaction_id=interaction.pk))
    return interaction


@transaction.atomic
def interaction_set_sentiment(*, interaction_id: int, agent, sentiment: str) -> Interaction:
    """The agent knows better than the detector: their sentiment sticks and the queue is re-prioritised."""
    interaction = _locked(interaction_id)
    _check_owner(interaction, agent, action="change the sentiment of")
    if sentiment not in BAND_SCORES:
        raise InteractionError(f"Unknown sentiment {sentiment!r}: choose negative, neutral or positive.")
    interaction.sentiment, interaction.sentiment_overridden = BAND_SCORES[sentiment], True
    interaction.save(update_fields=["sentiment", "sentiment_overridden"])
    return interaction


# --- Continuing a conversation from the Communication tab -------------------------------------------------
def _open_chat_for(contact, agent) -> tuple[Interaction | None, object, str]:
    """The contact's open Chat interaction (if any), the X account and the DM thread. A conversation waiting in
    the queue (or offered to this agent) becomes this agent's through the usual offer → accept moves; one that
    another agent holds or is being offered is refused."""
    address = service_for(Channel.CHAT).address_dm(contact)
    account, thread = address.x_account, address.thread_key
    current = (
        Interaction.objects.select_for_update()
        .filter(x_account=account, kind=Channel.CHAT, thread_key=thread, state__in=[*OPEN_STATES, "ended"])
        .order_by("-opened_at")
        .first()
    )
    if current is None:
        return None, account, thread
    if current.state in (InteractionState.QUEUED, InteractionState.OFFERED):
        offer = current.offers.filter(state=Offer.State.OFFERED).select_related("agent").first()
        if offer is not None and offer.agent_id != agent.pk:
            raise InteractionError(f"{contact.display_name}'s conversation is being offered to {offer.agent} now.")
        if offer is None:
            interaction_offer(interaction_id=current.pk, agent=agent)
        return interaction_accept(interaction_id=current.pk, agent=agent), account, thread
    if current.agent_id == agent.pk:
        return current, account, thread
    if current.state == InteractionState.ENDED:
        return None, account, thread  # someone else's finished chat: a new one may start
    raise InteractionError(f"{current.agent} is working a conversation with {contact.display_name} right now.")


def _locked_contact(contact_id: int):
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise InteractionError(f"Contact #{contact_id} does not exist.")
    return contact


@transaction.atomic
def interaction_start_chat(*, contact_id: int, agent) -> Interaction:
    """The X icon of the Communication tab: a Chat interaction with the contact, active and this agent's
    (their open one if they already have it)."""
    contact = _locked_contact(contact_id)
    current, account, thread = _open_chat_for(contact, agent)
    if current is not None and current.state in OPEN_STATES:
        return current
    now = timezone.now()
    return Interaction.objects.create(
        kind=Channel.CHAT, contact=contact, x_account=account, agent=agent, state=InteractionState.ACTIVE,
        thread_key=thread, queued_at=now, accepted_at=now,
    )  # fmt: skip


@transaction.atomic
def interaction_write_async(
    *, contact_id: int, agent, text: str, idempotency_key: str, image: bytes | None = None
) -> Message:
    """Write a message from the Communication tab: a DM to the contact through the outbox, without taking on a
    live conversation. It joins the agent's open chat with the contact if there is one; otherwise it is kept in a
    Chat interaction of its own, done at once, so the customer's answer arrives as new work (sticky to the
    contact's agent, who gets "contact replied")."""
    contact = _locked_contact(contact_id)  # first: a concurrent double-click waits here, then finds its twin
    existing = Message.objects.filter(idempotency_key=idempotency_key, author_agent=agent).first()
    if existing:
        return existing
    current, account, thread = _open_chat_for(contact, agent)
    if current is not None and current.state in outbox.SENDABLE_STATES:
        return outbox.outbox_send_dm(
            interaction_id=current.pk, agent=agent, text=text, idempotency_key=idempotency_key, image=image
        )
    now = timezone.now()
    interaction = Interaction.objects.create(
        kind=Channel.CHAT, contact=contact, x_account=account, agent=agent, state=InteractionState.ENDED,
        thread_key=thread, queued_at=now, accepted_at=now, ended_at=now, ended_by=Interaction.EndedBy.AGENT,
    )  # fmt: skip
    message = outbox.outbox_send_dm(
        interaction_id=interaction.pk, agent=agent, text=text, idempotency_key=idempotency_key, image=image
    )
    interaction_mark_done(interaction_id=interaction.pk, agent=agent, note="Written from the Communication tab.")
    return message


# --- Supervisor moves (admin and live board) ---------------------------------------------------------------
def _withdraw_live_offer(interaction: Interaction) -> None:
    """A supervisor takes an offered interaction out of an agent's hands: the offer toast disappears."""
    offer = Offer.objects.select_for_update().filter(interaction=interaction, state=Offer.State.OFFERED).first()
    if offer is not None:
        offer.state, offer.responded_at = Offer.State.WITHDRAWN, timezone.now()
        offer.save(update_fields=["state", "responded_at"])
        notify_agent(offer.agent_id, InteractionWithdrawn(interaction_id=interaction.pk, offer_id=offer.pk))


def _supervisor_refuses(interaction: Interaction, action: str, states) -> None:
    if interaction.state not in states:
        raise InvalidTransition(
            f"Cannot {action} interaction #{interaction.pk}: it is {interaction.get_state_display().lower()}."
        )


@transaction.atomic
def interaction_reassign(*, interaction_id: int, to_agent, by) -> Interaction:
    """A supervisor gives an open interaction to another agent, who has it active at once (no offer to accept).
    Capacity is not checked: the supervisor decides. The previous agent's workspace drops it live."""
    interaction = _locked(interaction_id)
    _supervisor_refuses(interaction, "reassign", OPEN_STATES)
    if not getattr(to_agent, "is_active", False) or not AgentProfile.objects.filter(user_id=to_agent.pk).exists():
        raise InteractionError(f"Cannot reassign interaction #{interaction.pk}: {to_agent} is not an active agent.")
    if interaction.agent_id == to_agent.pk and interaction.state == InteractionState.ACTIVE:
        raise InteractionError(f"Interaction #{interaction.pk} is already with {to_agent}.")
    _withdraw_live_offer(interaction)
    previous = interaction.agent_id
    interaction.agent, interaction.state = to_agent, InteractionState.ACTIVE
    interaction.accepted_at = interaction.accepted_at or timezone.now()
    if interaction.review == Interaction.Review.HELD:  # the supervisor decided: it is not parked again if requeued
        interaction.review = Interaction.Review.RELEASED
    interaction.save(update_fields=["agent", "state", "accepted_at", "review"])
    audit_record(
        actor=by, verb=Verb.REASSIGN, obj=interaction, details={"from_agent_id": previous, "to_agent_id": to_agent.pk}
    )
    notices_clear(interaction_id=interaction.pk)
    for agent_id in {previous, to_agent.pk} - {None}:
        notify_agent(agent_id, InteractionsChanged(interaction_id=interaction.pk))
    notify_board(BoardChanged(interaction_id=interaction.pk))
    return interaction


@transaction.atomic
def interaction_force_end(*, interaction_id: int, by) -> Interaction:
    """A supervisor ends an open interaction (a stuck or abusive conversation); its agent can still Mark Done."""
    interaction = _locked(interaction_id)
    _supervisor_refuses(
        interaction, "force-end", (InteractionState.QUEUED, InteractionState.OFFERED, InteractionState.ACTIVE)
    )
    _withdraw_live_offer(interaction)
    interaction = interaction_end(interaction_id=interaction.pk, ended_by=Interaction.EndedBy.SUPERVISOR)
    audit_record(actor=by, verb=Verb.FORCE_END, obj=interaction, details={"agent_id": interaction.agent_id})
    notices_clear(interaction_id=interaction.pk)  # nobody can take it any more
    notify_board(BoardChanged(interaction_id=interaction.pk))
    return interaction


@transaction.atomic
def interaction_requeue(*, interaction_id: int, by) -> Interaction:
    """A supervisor puts an offered or active interaction back in the queue; routing offers it again."""
    interaction = _locked(interaction_id)
    _supervisor_refuses(
        interaction, "requeue", (InteractionState.OFFERED, InteractionState.ACTIVE, InteractionState.TRANSFERRED)
    )
    _withdraw_live_offer(interaction)
    previous = interaction.agent_id
    if interaction.state == InteractionState.ACTIVE:
        _move(interaction, InteractionState.TRANSFERRED, action="requeue")
    _move(interaction, InteractionState.QUEUED, action="requeue")
    interaction.agent, interaction.queued_at = None, timezone.now()
    interaction.save(update_fields=["state", "agent", "queued_at"])
    audit_record(actor=by, verb=Verb.REQUEUE, obj=interaction, details={"from_agent_id": previous})
    if previous:
        notify_agent(previous, InteractionsChanged(interaction_id=interaction.pk))
    request_routing()
    return interaction


# --- The Review queue (a routing rule parked an unsummoned tweet for a supervisor) ----------------------------
def _in_review(interaction_id: int, action: str) -> Interaction:
    interaction = _locked(interaction_id)
    if interaction.state != InteractionState.QUEUED or interaction.review != Interaction.Review.HELD:
        raise InvalidTransition(f"Cannot {action} interaction #{interaction.pk}: it is not in review.")
    return interaction


@transaction.atomic
def interaction_review_release(*, interaction_id: int, by) -> Interaction:
    """A supervisor lets a conversation out of review: it joins the queue (its place: when it arrived) and is routed
    as usual; no rule parks it again."""
    interaction = _in_review(interaction_id, "release")
    interaction.review = Interaction.Review.RELEASED
    interaction.save(update_fields=["review"])
    audit_record(actor=by, verb=Verb.REQUEUE, obj=interaction, details={"from": "review"})
    request_routing()  # tells the board too
    return interaction


@transaction.atomic
def interaction_review_close(*, interaction_id: int, by) -> Interaction:
    """A supervisor closes a conversation in review: nobody answers it (it ends, ended by a supervisor)."""
    interaction = _in_review(interaction_id, "close")
    interaction = interaction_end(interaction_id=interaction.pk, ended_by=Interaction.EndedBy.SUPERVISOR)
    audit_record(actor=by, verb=Verb.FORCE_END, obj=interaction, details={"from": "review"})
    notify_board(BoardChanged(interaction_id=interaction.pk))
    return interaction
