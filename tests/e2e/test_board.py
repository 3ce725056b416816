"""The supervisors' live board in real Chromium under simulated customer traffic: the queue and the agents' load
fill in live without a reload, and a supervisor reassigns a conversation from the board."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from interactions import services
from interactions.models import Interaction, InteractionState
from interactions.presence import presence_set
from social import polling
from social.models import XAccount
from tests.e2e.helpers import in_worker_thread
from workspace.agents.models import AgentProfile
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_board_follows_simulated_traffic_live_and_reassigns(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    account = XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID)
    User = get_user_model()
    ana, ben = User.objects.get(username="ana"), User.objects.get(username="ben")
    AgentProfile.objects.filter(user__in=[ana, ben]).update(chat_capacity=2, twitter_capacity=2)

    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server_url}/admin/")
    expect(page.get_by_label("Account health")).to_contain_text("Perch Demo Air")
    screenshot("admin-index")
    page.get_by_role("link", name="Open the live board").click()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.get_by_label("Chat queue")).to_contain_text("Nobody waiting")

    def agents_ready():
        for agent in (ana, ben):
            for channel in ("chat", "twitter"):
                presence_set(agent=agent, channel=channel, ready=True)

    in_worker_thread(agents_ready)
    ana_row = page.get_by_role("row", name="Ana Alvarez", exact=True)
    expect(ana_row.locator(".pill").first).to_have_text("Ready")  # pushed, no reload

    in_worker_thread(lambda: call_command(
        "simulate_customers", rate=8, duration=2, seed=3, base_url=f"{live_server_url}/x-sandbox",
        stdout=open("/dev/null", "w"),
    ))  # fmt: skip
    in_worker_thread(lambda: polling.poll_account(account_id=account.pk))  # ingest → route → pushes

    waiting = Interaction.objects.filter(state__in=[InteractionState.QUEUED, InteractionState.OFFERED]).count()
    assert waiting >= 5, "the simulator should have produced a queue"
    expect(page.locator("#board-queue")).to_contain_text("Offered to Ana Alvarez")
    expect(page.locator("#board-queue .wait").first).to_contain_text(" s")
    expect(page.get_by_label("Account health")).to_contain_text("Healthy", timeout=10_000)

    def ana_accepts():
        for offer in ana.offers.filter(state="offered"):
            services.interaction_accept(interaction_id=offer.interaction_id, agent=ana)

    in_worker_thread(ana_accepts)
    first = Interaction.objects.filter(agent=ana, state=InteractionState.ACTIVE).select_related("contact").first()
    expect(ana_row).to_contain_text(first.contact.display_name)
    page.wait_for_timeout(1200)  # let the waiting times tick once, for the picture
    screenshot("live-board")

    ana_row.get_by_label(f"Reassign #{first.pk} to").select_option(label="Ben Brooks")
    ana_row.locator(f"form[action$='/interactions/{first.pk}/reassign/']").get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text="Reassigned")).to_contain_text(first.contact.display_name)
    expect(page.get_by_role("row", name="Ben Brooks", exact=True)).to_contain_text(first.contact.display_name)
    first.refresh_from_db()
    assert first.agent == ben
    screenshot("live-board-reassigned")
