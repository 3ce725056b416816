"""Pushes lost while Redis was away: Redis restarts empty, so the per-agent sequence numbers start again at 1 while
a tab may keep its socket. The page must take a number that went backwards as "pushes were lost" and resync, or what
changed meanwhile (here an offer) never shows until something else refreshes it."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from interactions.models import InteractionState, Offer
from tests.factories import PASSWORD, AgentFactory, ContactFactory, InboundDMFactory, InteractionFactory
from workspace.services import presence_set

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_sequence_number_that_starts_again_makes_the_page_resync(live_server_url, page):
    agent = AgentFactory()
    page.goto(f"{live_server_url}/accounts/login/?next=/workspace/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    for ready in (True, False, True):  # pushes 1, 2, 3
        presence_set(agent=agent, channel="twitter", ready=ready)
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()

    # Redis goes away and comes back empty: the counter is gone, and so is the push of this offer.
    redis.Redis.from_url(settings.REDIS_URL).delete(f"perch:seq:agent.{agent.pk}")
    interaction = InteractionFactory(contact=ContactFactory(display_name="Rosa Lost-Push"),
                                     state=InteractionState.OFFERED)  # fmt: skip
    InboundDMFactory(interaction=interaction, text="Hello, anyone?")
    Offer.objects.create(interaction=interaction, agent=agent, state=Offer.State.OFFERED,
                         expires_at=timezone.now() + timedelta(minutes=5))  # fmt: skip

    presence_set(agent=agent, channel="twitter", ready=False)  # the next push carries seq 1 again
    expect(page.get_by_role("switch", name="Twitter Not Ready")).to_be_visible()
    expect(page.get_by_text("Rosa Lost-Push")).to_be_visible(timeout=5_000)
