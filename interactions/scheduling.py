"""What a change to the queue asks of the workers once it commits: route the queue (now, and again when a cool-down
ends), and expire an offer when its time is up.

The tasks are found by their names in the Celery app's registry (InteractionsConfig.ready registers them in every
process): interactions.tasks runs routing and the lifecycle services, which call this module, so importing the tasks
here would make an import cycle."""

from celery import current_app
from django.db import transaction

from workspace.infra.events import BoardChanged
from workspace.infra.push import notify_board

ROUTE_QUEUE = "interactions.route_queue"
EXPIRE_OFFER = "interactions.expire_offer"


def _task(name: str):
    return current_app.tasks[name]


def request_routing(interaction_ids: list[int] | None = None, *, again_in: float | None = None) -> None:
    """Routes the queue once the current transaction commits; every event that can change the answer calls it.
    `interaction_ids` are (re)prioritised first: they are new or have new customer messages. `again_in` seconds
    later it routes once more: a decline's cool-down ends then, and the customer must not wait for beat."""
    ids = sorted(set(interaction_ids or []))
    # Robust: what committed stands if the broker is down; beat's next pass routes (and prioritises) it then.
    transaction.on_commit(lambda: _task(ROUTE_QUEUE).delay(ids), robust=True)
    if again_in is not None:
        transaction.on_commit(lambda: _task(ROUTE_QUEUE).apply_async(([],), countdown=again_in), robust=True)
    notify_board(BoardChanged(queue_changed=True))  # the live board shows the queue


def expire_offer_when_due(offer_id: int, seconds: float) -> None:
    """Starts the offer's timer once the offer commits: `seconds` later it expires, unless it was answered."""
    # Robust: the offer stands if the broker is down; beat's sweep for overdue offers expires it then.
    transaction.on_commit(lambda: _task(EXPIRE_OFFER).apply_async((offer_id,), countdown=seconds), robust=True)
