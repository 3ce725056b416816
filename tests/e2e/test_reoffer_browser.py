"""Issue 14, acceptance (b), in real Chromium: the only Ready agent, at 0/5, rejects a mention; once her team's
cool-down has passed it is offered to her again, live, and Accept opens it. On the old rule she was excluded from
it for ever and the customer waited for a supervisor (seen: 6+ minutes while she sat Ready and idle)."""

import time
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from interactions import routing, tasks
from interactions.models import Interaction, Offer
from social import polling
from social.models import XAccount
from tests.e2e.helpers import accept_offer, in_worker_thread, sign_in
from workspace.agents.models import Team
from workspace.desk.management.commands.seed_demo import DEMO_ACCOUNT_USER_ID

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COOLDOWN_SECONDS = 2


def console_errors(page) -> list[str]:
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_an_interaction_everyone_ready_rejected_is_offered_again_after_the_cooldown(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    Team.objects.filter(name="Customer Care").update(reoffer_cooldown_seconds=COOLDOWN_SECONDS)
    errors = console_errors(page)
    sign_in(page, live_server_url, "ana")
    page.get_by_role("switch", name="Twitter Not Ready").click()
    expect(page.get_by_role("switch", name="Twitter Ready")).to_be_visible()  # the only Ready agent, at 0/5

    requests.post(f"{live_server_url}/x-sandbox/simulator/api/tweet", timeout=10, json={
        "author_id": "1790000000000000102", "text": "@perchdemoair my bag never arrived, can anyone help?",
    }).raise_for_status()  # fmt: skip
    account_id = XAccount.objects.get(x_user_id=DEMO_ACCOUNT_USER_ID).pk
    in_worker_thread(lambda: polling.poll_account(account_id=account_id))
    toast = page.get_by_role("alertdialog", name="New Twitter interaction from Tom Becker")
    expect(toast).to_be_visible()
    held = []  # the Reject request, held back: the toast must go before any answer comes
    page.route("**/workspace/offers/*/reject/", lambda route: held.append(route))
    toast.get_by_role("button", name="Reject").click()
    expect(toast).to_be_hidden(timeout=1000)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/workspace/offers/*/reject/")
    expect(page.locator("#offers .toast")).to_have_count(0)  # hidden ones too: the server's list no longer has it

    interaction = Interaction.objects.get(contact__display_name="Tom Becker")
    rejected = Offer.objects.get(interaction=interaction, state=Offer.State.REJECTED)
    assert interaction.state == "queued" and not Offer.objects.filter(interaction=interaction, state="offered")
    page.wait_for_timeout(500)
    expect(toast).to_have_count(0)  # within her cool-down it is not offered to her again

    # A real worker runs the retry the reject scheduled for the end of the cool-down; here tasks run eagerly (at
    # once), so the test runs that same task when the cool-down is over.
    back_at = rejected.responded_at + timedelta(seconds=COOLDOWN_SECONDS)
    time.sleep(max(0.0, (back_at - timezone.now()).total_seconds()))
    in_worker_thread(lambda: tasks.route_queue.delay([]))
    expect(toast).to_be_visible(timeout=2000)  # live, without a reload
    assert routing.stranded_interactions() == []
    screenshot("reoffer-after-cooldown")

    conversation = accept_offer(page, "Twitter", "Tom Becker")
    expect(conversation).to_contain_text("my bag never arrived")
    expect(conversation).to_contain_text("Active")
    expect(page.get_by_label("My interactions")).to_contain_text("Tom Becker")
    assert errors == []
