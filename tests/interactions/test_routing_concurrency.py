"""Several workers routing at once on PostgreSQL: nobody over capacity, no interaction offered twice."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from interactions import routing
from interactions.models import Interaction, Offer
from tests.factories import AgentFactory, InteractionFactory, XAccountFactory
from workspace.models import ChannelPresence

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_workers_route_500_interactions_to_50_agents(django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and row locks across connections are PostgreSQL's; SQLite serialises all writers")
    agents = [AgentFactory() for _ in range(50)]
    ChannelPresence.objects.bulk_create(
        [ChannelPresence(agent=a, channel="chat", ready=True, since=timezone.now()) for a in agents]
    )
    account = XAccountFactory()
    for n in range(500):
        InteractionFactory(x_account=account, thread_key=f"t{n}")
    errors = []

    def worker():
        try:
            with django_db_blocker.unblock():
                routing.route_queue(limit=500)
        except Exception as exc:  # reported below; a deadlock or double offer must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    live = Offer.objects.filter(state="offered")
    per_agent = live.values("agent").annotate(n=Count("id"))
    assert max(row["n"] for row in per_agent) <= 3  # default chat capacity
    assert live.count() == 150  # 50 agents × 3
    assert live.values("interaction").distinct().count() == live.count()  # never offered twice
    assert Interaction.objects.filter(state="offered").count() == 150
    assert Interaction.objects.filter(state="queued").count() == 350
