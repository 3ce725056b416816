"""A worker killed in the middle of a send: the message reaches X exactly once."""

import os
import signal
import time
from pathlib import Path

import pytest

from interactions import outbox, services
from interactions.models import Message
from social import polling
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def wait_for(predicate, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture
def short_send_lease(monkeypatch, settings):
    """A claim on a row lapses after 6 s here (50 s by default), in this process and in the worker started next."""
    monkeypatch.setenv("X_SEND_LEASE_SECONDS", "6")
    settings.X_SEND_LEASE_SECONDS = 6


def beat_sweep():
    """What beat's `social.release_due_sends` does every 5 s: dispatch the rows that are due or whose claim lapsed."""
    from social.tasks import release_due_sends

    release_due_sends.delay()


def test_a_worker_process_killed_mid_send_does_not_send_twice(simulator, brand, short_send_lease, celery_worker):
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "Is anyone there?")
    polling.poll_account(account_id=brand.pk)
    agent, interaction = AgentFactory(), brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    # X stores the DM, then answers late: the worker dies between X's success and Perch hearing of it.
    simulator.fault(method="POST", path="/2/dm_conversations/with/", status=0, delay_ms=4000, times=1)

    message = outbox.outbox_send_dm(interaction_id=interaction.pk, agent=agent, text="Yes! How can we help?",
                                    idempotency_key="kill-1")  # fmt: skip
    wait_for(lambda: Message.objects.get(pk=message.pk).delivery == "sending", 30, "the worker picking the send")
    wait_for(lambda: any(d["sender_id"] == brand.x_user_id for d in simulator.activity(maya)["dms"]), 10,
             "X storing the DM")  # fmt: skip
    pool = wait_for(lambda: children(celery_worker.pid), 10, "the worker's pool process")
    for pid in pool:
        os.kill(pid, signal.SIGKILL)

    # The task comes back at once (acks_late) but the dead worker's claim holds it off until it lapses; then the
    # sweep sends the row again, and that try asks X first.
    assert Message.objects.get(pk=message.pk).delivery == "sending"

    def settled():
        beat_sweep()
        return Message.objects.filter(pk=message.pk, delivery="sent").first()

    sent = wait_for(settled, 60, "the send settling", every=1)
    from_brand = [d for d in simulator.activity(maya)["dms"] if d["sender_id"] == brand.x_user_id]
    assert len(from_brand) == 1, "the DM reached X more than once"
    assert sent.external_id == from_brand[0]["id"] and sent.attempts == 2
