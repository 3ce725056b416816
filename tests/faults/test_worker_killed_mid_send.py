"""A Celery worker process SIGKILLed in the middle of sends while the account is polled every half second (beat's
10 s poll, faster). The poll reads X's copy of the DM the dead worker was sending before its claim lapses: that copy
must become the outbox row's delivery, not a row of its own, so the sweep finds the row sent and nothing reaches
X twice (tests/social/test_worker_death.py is the same death without polling)."""

import os
import signal
import threading
import time

import pytest
import requests
from django.db import connection
from django.test import Client

from interactions import outbox, services
from interactions.models import Message
from social import polling, tasks
from social.models import XAccount
from tests.factories import AgentFactory
from tests.social.test_worker_death import beat_sweep, children, short_send_lease, wait_for  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS, PER_ROUND = 3, 8  # each round: X answers the 4th DM late, and its worker is killed while it waits


class Poller(threading.Thread):
    """What beat does every 10 s, every half second: the account's poll task, run in this process."""

    def __init__(self, account_id: int):
        super().__init__(daemon=True)
        self.account_id, self.stop, self.polls, self.errors = account_id, threading.Event(), 0, []

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    tasks.poll_account(self.account_id)
                    self.polls += 1
                except Exception as exc:  # noqa: BLE001  (kept and asserted on below)
                    self.errors.append(repr(exc))
                self.stop.wait(0.5)
        finally:
            connection.close()


def fired(simulator, fault_id: int) -> bool:
    faults = requests.get(f"{simulator.api}/faults", timeout=10).json()["faults"]
    return next(f["fired"] for f in faults if f["id"] == fault_id) > 0


def brand_dms(simulator, user, brand) -> list[str]:
    return [dm["text"] for dm in simulator.activity(user)["dms"] if dm["sender_id"] == brand.x_user_id]


@pytest.mark.usefixtures("short_send_lease")
def test_a_worker_killed_mid_send_while_polling_sends_each_dm_once(simulator, brand, celery_worker, figures):
    XAccount.objects.filter(pk=brand.pk).update(poll_interval_seconds=1)  # DMs due every second (social.schedule)
    maya = simulator.user("maya", "Maya Patel")
    simulator.dm(maya, brand.x_user_id, "Is anyone there?")
    polling.poll_account(account_id=brand.pk)
    agent, interaction = AgentFactory(), brand.interactions.get()
    services.interaction_offer(interaction_id=interaction.pk, agent=agent)
    services.interaction_accept(interaction_id=interaction.pk, agent=agent)
    poller = Poller(brand.pk)
    poller.start()

    written, killed = [], []
    try:
        for round_ in range(ROUNDS):
            # X stores the 4th DM of the round, then answers 4 s late: the worker dies waiting for the answer.
            fault = simulator.fault(method="POST", path="/2/dm_conversations/with/", status=0, delay_ms=4000, skip=3)
            rows = [
                outbox.outbox_send_dm(
                    interaction_id=interaction.pk, agent=agent, idempotency_key=f"kill-{n}", text=f"answer #{n:02d}"
                )
                for n in range(round_ * PER_ROUND, (round_ + 1) * PER_ROUND)
            ]
            written += rows
            wait_for(lambda fault=fault: fired(simulator, fault["fault_id"]), 60, f"round {round_}: the late answer")
            time.sleep(0.3)  # X has stored the DM; the worker waits for its answer
            for pid in wait_for(lambda: children(celery_worker.pid), 10, "the worker's pool process"):
                os.kill(pid, signal.SIGKILL)
            killed.append(rows[3].pk)
            others = Message.objects.filter(pk__in=[r.pk for r in rows]).exclude(pk=rows[3].pk)
            wait_for(lambda others=others: not others.exclude(delivery="sent").exists(), 60,
                     f"round {round_}: the other sends going out")  # fmt: skip

        def all_settled():
            beat_sweep()
            return Message.objects.filter(pk__in=[r.pk for r in written], delivery="sent").count() == len(written)

        wait_for(all_settled, 90, "every send settling", every=1)
        time.sleep(1.5)  # two more polls: whatever X holds is in Perch
    finally:
        poller.stop.set()
        poller.join(timeout=30)

    texts = [m.text for m in written]
    at_x = brand_dms(simulator, maya, brand)
    sent = Message.objects.filter(pk__in=[r.pk for r in written], delivery="sent").count()
    client = Client()
    client.force_login(agent)
    page = client.get(f"/workspace/interactions/{interaction.pk}/conversation/").content.decode()
    shown = {text: page.count(text) for text in texts}
    duplicated = len(at_x) - len(set(at_x))
    by_copy = Message.objects.filter(pk__in=killed, delivery="sent", attempts=1).count()  # never tried again
    figures.record_sends(
        "worker killed mid-send while polling", written=len(texts), sent=sent, at_x=len(at_x), duplicated=duplicated,
        extra=f"{len(killed)} workers killed mid-send, {by_copy} of those DMs settled by X's copy read by a poll, "
        f"{poller.polls} polls, transcript rows {sum(shown.values())}",
    )  # fmt: skip
    assert sorted(at_x) == sorted(texts), "each DM reaches X exactly once"
    assert shown == dict.fromkeys(texts, 1), "the transcript shows each DM once"
    assert sent == len(texts) and poller.errors == []
