"""The live board at /admin/board/: what a supervisor sees (queue, agents, health), reassigning from it, and the
pushes that keep it live."""

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone

from interactions import routing, services, teams
from interactions.models import Interaction, InteractionState
from interactions.presence import presence_set
from tests.factories import PASSWORD, AgentFactory, InteractionFactory
from tests.helpers import sign_in
from workspace.agents.models import AuditEntry, ChannelPresence
from workspace.asgi import application

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supervisor(db):
    return get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, first_name="Sam")


@pytest.fixture
def client(supervisor):
    return sign_in("sam", PASSWORD)


def ready(agent, channel="chat"):
    ChannelPresence.objects.update_or_create(
        agent=agent, channel=channel, defaults={"ready": True, "since": timezone.now() - timedelta(minutes=5)}
    )


@pytest.mark.django_db
def test_the_board_shows_the_queue_with_waits_and_agents_with_state_load_and_work(client):
    ana = AgentFactory(first_name="Ana", last_name="Alvarez")
    ready(ana)
    AgentFactory(first_name="Ben", last_name="Brooks")
    InteractionFactory(contact__display_name="Maya Patel", priority=20, queued_at=timezone.now() - timedelta(minutes=4))
    working = InteractionFactory(contact__display_name="Tom Becker")
    services.interaction_offer(interaction_id=working.pk, agent=ana)
    services.interaction_accept(interaction_id=working.pk, agent=ana)

    page = client.get("/admin/board/").content.decode()
    queue = page.split('id="board-queue"')[1].split('id="board-agents"')[0]
    assert "Maya Patel" in queue and "4 min" in queue and ">20<" in queue and "1 waiting" in queue
    agents = page.split('id="board-agents"')[1]
    ana_row = agents.split('<tr aria-label="Ana Alvarez">')[1].split("</tr>")[0]
    assert "Ready" in ana_row and "1/3" in ana_row and "Tom Becker" in ana_row
    ben_row = agents.split('<tr aria-label="Ben Brooks">')[1].split("</tr>")[0]
    assert "Not Ready" in ben_row and "0/3" in ben_row
    assert 'ws-connect="/ws/board/"' in page and "X-CSRFToken" in page


@pytest.mark.django_db
def test_board_partials_take_a_constant_number_of_queries(client, django_assert_max_num_queries):
    def grow():
        for _ in range(10):
            agent = AgentFactory()
            ready(agent)
            busy = InteractionFactory()
            services.interaction_offer(interaction_id=busy.pk, agent=agent)
            services.interaction_accept(interaction_id=busy.pk, agent=agent)
            InteractionFactory()

    grow()
    counts = {}
    # health: one query more for each account's latest replay after downtime (social.replay.latest_replays); the
    # whole board: that one and the Review list's (board_review), beside the X spend panel's
    limits = {"/admin/board/queue/": 9, "/admin/board/agents/": 8, "/admin/board/health/": 5, "/admin/board/": 20}
    for url, limit in limits.items():
        with django_assert_max_num_queries(limit) as captured:
            client.get(url)
        counts[url] = len(captured)
    grow()
    for url, before in counts.items():
        with django_assert_max_num_queries(before):
            client.get(url)


@pytest.mark.django_db
def test_reassign_from_the_board_goes_through_the_service_and_refusals_are_shown(client, supervisor):
    ana, ben = AgentFactory(first_name="Ana"), AgentFactory(first_name="Ben")
    interaction = InteractionFactory(contact__display_name="Maya Patel")

    answer = client.post(f"/admin/board/interactions/{interaction.pk}/reassign/", {"agent": ben.pk}, **HTMX)
    assert answer.status_code == 200 and "Reassigned" in answer.content.decode()
    assert "board:refresh" in answer["HX-Trigger"]
    interaction.refresh_from_db()
    assert (interaction.state, interaction.agent) == (InteractionState.ACTIVE, ben)
    assert AuditEntry.objects.get(verb="reassign").actor == supervisor

    services.interaction_end(interaction_id=interaction.pk, agent=ben)
    refused = client.post(f"/admin/board/interactions/{interaction.pk}/reassign/", {"agent": ana.pk}, **HTMX)
    assert refused.status_code == 422
    assert f"Cannot reassign interaction #{interaction.pk}: it is ended." in refused.content.decode()
    nobody = client.post(f"/admin/board/interactions/{interaction.pk}/reassign/", {"agent": ""}, **HTMX)
    assert nobody.status_code == 422 and "Pick an active agent" in nobody.content.decode()


@pytest.mark.django_db
def test_reassign_needs_the_csrf_token(supervisor):
    ben = AgentFactory()
    interaction = InteractionFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    assert client.post(f"/admin/board/interactions/{interaction.pk}/reassign/", {"agent": ben.pk}).status_code == 403
    interaction.refresh_from_db()
    assert interaction.agent is None


def board_headers(client):
    return [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]


@pytest.mark.django_db(transaction=True)
def test_supervisors_hear_board_changes_live_in_order(supervisor):
    headers = board_headers(sign_in("sam", PASSWORD))
    ana = AgentFactory()

    async def scenario():
        board = WebsocketCommunicator(application, "/ws/board/", headers=headers)
        assert (await board.connect(timeout=5))[0]
        hello = await board.receive_json_from(timeout=5)
        await database_sync_to_async(presence_set)(agent=ana, channel="chat", ready=True)
        presence = await board.receive_json_from(timeout=5)
        queue = await board.receive_json_from(timeout=5)  # going Ready asks for routing
        interaction = await database_sync_to_async(InteractionFactory)()
        await database_sync_to_async(routing.route_queue)()
        offered = await board.receive_json_from(timeout=5)
        await database_sync_to_async(services.interaction_accept)(interaction_id=interaction.pk, agent=ana)
        accepted = await board.receive_json_from(timeout=5)
        await board.send_json_to({"type": "resync"})
        resync = await board.receive_json_from(timeout=5)
        await board.disconnect()
        return hello, [presence, queue, offered, accepted], resync, interaction

    hello, events, resync, interaction = async_to_sync(scenario)()
    assert {e["type"] for e in events} == {"board.changed"}
    assert events[0]["agent_id"] == ana.pk
    assert events[2]["interaction_id"] == events[3]["interaction_id"] == interaction.pk
    assert [e["seq"] for e in events] == list(range(hello["seq"] + 1, hello["seq"] + 5))
    assert resync == {"type": "resync", "seq": events[-1]["seq"]}


@pytest.mark.django_db(transaction=True)
def test_the_board_socket_refuses_agents():
    agent = AgentFactory()
    headers = board_headers(sign_in(agent.username, PASSWORD))

    async def scenario():
        board = WebsocketCommunicator(application, "/ws/board/", headers=headers)
        connected, code = await board.connect(timeout=5)
        # Always disconnect, refused or not: a consumer left running is cancelled with the test's event loop in the
        # middle of its channel-layer receive (the likely cause of this test hanging past its timeout in whole runs).
        await board.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4403)


@pytest.mark.django_db
def test_reassign_works_without_javascript_too(client):
    ben = AgentFactory(first_name="Ben")
    interaction = InteractionFactory()
    answer = client.post(f"/admin/board/interactions/{interaction.pk}/reassign/", {"agent": ben.pk}, follow=True)
    assert answer.redirect_chain == [("/admin/board/", 302)]
    assert f"Reassigned #{interaction.pk} to Ben" in answer.content.decode()


def queue_row(client, name: str) -> str:
    queue = client.get("/admin/board/queue/").content.decode()
    return " ".join(queue.split(f"<bdi>{name}</bdi>")[1].split("</tr>")[0].split())


@pytest.mark.django_db
def test_the_board_says_who_declined_a_waiting_interaction_and_when_it_goes_back_to_them(client):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        ana = AgentFactory(first_name="Ana")
        ready(ana)
        interaction = InteractionFactory(contact__display_name="Maya Patel")
        routing.route_queue()
        assert "Offered to Ana" in queue_row(client, "Maya Patel")
        services.interaction_reject(interaction_id=interaction.pk, agent=ana)

        back = timezone.localtime(start + teams.reoffer_cooldown(interaction)).strftime("%H:%M:%S")
        row = queue_row(client, "Maya Patel")
        assert "declined by 1 agent, back to them at <time datetime=" in row and f">{back}</time>" in row
        assert "Stranded" not in row
        clock.shift(teams.reoffer_cooldown(interaction))
        routing.route_queue()  # the retry at the end of her cool-down
        assert "Offered to Ana" in queue_row(client, "Maya Patel")


@pytest.mark.django_db(transaction=True)
def test_a_breach_beat_cannot_heal_is_shown_stranded_on_the_board(client, django_db_blocker, caplog):
    from tests.interactions.test_routing_concurrency import another_worker_holds

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are PostgreSQL's")
    ana = AgentFactory(first_name="Ana")
    ready(ana)
    stuck = InteractionFactory(contact__display_name="Maya Patel", queued_at=timezone.now() - timedelta(minutes=3))
    with another_worker_holds(django_db_blocker, Interaction, stuck.pk):  # a worker hung mid-routing it
        assert routing.heal_stranded() == 1
    row = queue_row(client, "Maya Patel")
    assert "Stranded" in row and "1 agent Ready with room could take it" in row
    assert [
        r.perch_fields["interaction_id"] for r in caplog.records if getattr(r, "event", "") == "interaction.stranded"
    ] == [stuck.pk]

    assert routing.heal_stranded() == 1  # the worker let go: the next check routes it
    assert "Offered to Ana" in queue_row(client, "Maya Patel") and "Stranded" not in queue_row(client, "Maya Patel")


@pytest.mark.django_db
def test_the_review_queue_takes_a_constant_number_of_queries_and_leaves_the_channel_queues(
    client, django_assert_max_num_queries
):
    def park(n):
        for _ in range(n):
            parked = InteractionFactory(kind="twitter", review=Interaction.Review.HELD)
            parked.messages.create(direction="in", kind="tweet", text="Airline lost bag again", summoned=False)

    park(2)
    with django_assert_max_num_queries(20) as captured:
        page = client.get("/admin/board/queue/").content.decode()
    assert "2 to decide" in page and page.count("Airline lost bag again") == 2
    assert "0 waiting" in page.split('aria-label="Twitter queue"')[1].split("</h3>")[0]
    park(10)
    with django_assert_max_num_queries(len(captured)):
        assert "12 to decide" in client.get("/admin/board/queue/").content.decode()
