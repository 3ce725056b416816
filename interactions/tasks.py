"""Celery tasks for routing, the offers' timers and presence: thin wrappers around interactions.routing,
.services and .presence. interactions.scheduling sends the first two by their names."""

from celery import shared_task

from interactions import presence, routing, services
from interactions.scheduling import EXPIRE_OFFER, ROUTE_QUEUE


@shared_task(name=ROUTE_QUEUE, ignore_result=True)
def route_queue(prioritise_ids: list[int] | None = None) -> int:
    return routing.route_queue(prioritise_ids=prioritise_ids or [])


@shared_task(name=EXPIRE_OFFER, ignore_result=True)
def expire_offer(offer_id: int) -> bool:
    return services.offer_expire(offer_id=offer_id)


@shared_task(name="interactions.expire_overdue_offers", ignore_result=True)
def expire_overdue_offers() -> int:
    """Run by beat: offers whose own timer was lost (worker restart) still expire."""
    return services.offers_expire_overdue()


@shared_task(name="interactions.check_stranded", ignore_result=True)
def check_stranded() -> int:
    """Run by beat: no customer waits longer than the cool-down while someone could take them (logged, routed)."""
    return routing.heal_stranded()


@shared_task(name="interactions.end_quiet_chats", ignore_result=True)
def end_quiet_chats() -> int:
    """Run by beat: chats whose customer has gone quiet after the agent's answer end as "the customer has left"."""
    return services.interactions_end_quiet_chats()


@shared_task(name="interactions.presence_ghost_check", ignore_result=True)
def presence_ghost_check(agent_id: int) -> bool:
    return presence.presence_sign_out_if_gone(agent_id=agent_id)


@shared_task(name="interactions.sign_out_ghosts", ignore_result=True)
def sign_out_ghosts() -> int:
    """Run by beat: a web process that dies never runs its tabs' goodbye."""
    return presence.presence_sign_out_ghosts()
