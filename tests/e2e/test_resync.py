"""A tab whose websocket outlived a Redis restart: the push numbers begin again at 1, and the page must take that
as a gap (resync from the database), or what was pushed while Redis was down stays invisible."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from interactions.models import InteractionState, Offer
from social.models import XAccount
from tests.e2e.helpers import in_worker_thread, sign_in
from tests.factories import ContactFactory, InboundDMFactory, InteractionFactory
from workspace.infra.events import InteractionOffered, PresenceChanged
from workspace.infra.push import agent_group, notify_agent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def offer_to(agent, text):
    """An offer of Ivy Quinn's chat to `agent`, made behind the tab's back (no push); returns the interaction."""
    interaction = InteractionFactory(
        x_account=XAccount.objects.get(), contact=ContactFactory(display_name="Ivy Quinn"),
        state=InteractionState.OFFERED,
    )  # fmt: skip
    InboundDMFactory(interaction=interaction, text=text)
    Offer.objects.create(interaction=interaction, agent=agent, expires_at=timezone.now() + timedelta(minutes=5))
    return interaction


def test_a_tab_resyncs_when_push_numbers_begin_again_after_a_redis_restart(live_server_url, page, django_user_model):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    ana = django_user_model.objects.get(username="ana")
    group = agent_group(ana.pk)
    store = redis.Redis.from_url(settings.REDIS_URL)
    store.set(f"perch:seq:{group}", 500)  # a Perch that has been up for a while
    sign_in(page, live_server_url, "ana")
    not_ready = PresenceChanged(channel="chat", ready=False)
    in_worker_thread(lambda: notify_agent(ana.pk, not_ready))  # the tab now stands at 501
    page.wait_for_timeout(300)

    store.delete(f"perch:seq:{group}")  # Redis came back empty; the offer below was made while it was down
    offer_to(ana, "Is anyone there?")
    assert not page.get_by_role("alertdialog").count()

    in_worker_thread(lambda: notify_agent(ana.pk, not_ready))  # numbered 1 again
    toast = page.get_by_role("alertdialog", name="New Chat interaction from Ivy Quinn")
    expect(toast).to_be_visible(timeout=3000)
    expect(toast).to_contain_text("Is anyone there?")


def test_a_socket_that_dies_without_closing_is_replaced_and_the_tab_catches_up(
    live_server_url, page, django_user_model
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    ana = django_user_model.objects.get(username="ana")
    sockets = []

    def through_a_proxy(ws):  # the tab's socket, relayed; a "dead" one delivers nothing more to the tab
        state = {"dead": False}
        sockets.append(state)
        server = ws.connect_to_server()
        server.on_message(lambda message: None if state["dead"] else ws.send(message))

    page.add_init_script("window.perchHeartbeat = {every: 500, within: 1500};")
    page.route_web_socket("**/ws/workspace/", through_a_proxy)
    sign_in(page, live_server_url, "ana")
    assert len(sockets) == 1
    sockets[0]["dead"] = True  # a proxy dropped the connection without a close: no pong, no push gets through

    interaction = offer_to(ana, "Hello? Anyone?")
    offered = InteractionOffered(interaction_id=interaction.pk, offer_id=interaction.offers.get().pk)
    in_worker_thread(lambda: notify_agent(ana.pk, offered))

    toast = page.get_by_role("alertdialog", name="New Chat interaction from Ivy Quinn")
    expect(toast).to_be_visible(timeout=8000)  # the unanswered ping replaced the socket, and the tab resynced
    assert len(sockets) == 2
    expect(page.locator("#live-status")).to_have_text("Live")
