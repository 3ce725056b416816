"""The customer simulator in real Chromium: act as a customer, DM and tweet at the demo brand, see it listed;
Perch then picks both up on its next poll."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from interactions.models import Interaction
from social.models import XAccount

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_customer_dms_and_tweets_at_the_brand_and_perch_picks_both_up(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")

    page.goto(f"{live_server_url}/x-sandbox/simulator/")
    expect(page.get_by_label("Talking to")).to_contain_text("Perch Demo Air (@perchdemoair)")
    page.get_by_text("New customer…").click()
    page.get_by_label("Name", exact=True).fill("Zoë <script>alert(1)</script>")
    page.get_by_label("Username", exact=True).fill("zoe_travels")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_label("Customer", exact=True)).to_contain_text("@zoe_travels")

    page.get_by_label("Message to the brand").fill("Hi! My suitcase never arrived 😡")
    page.get_by_role("button", name="Send DM").click()
    expect(page.locator("#dm-list")).to_contain_text("My suitcase never arrived")

    page.get_by_role("tab", name="Tweet").click()
    expect(page.get_by_label("Public tweet")).to_have_value("@perchdemoair ")
    page.get_by_label("Public tweet").fill("@perchdemoair still waiting for my refund")
    page.get_by_role("button", name="Tweet", exact=True).click()
    expect(page.locator("#tweet-list")).to_contain_text("still waiting for my refund")
    expect(page.locator("#tweet-list .who").first).to_contain_text("Zoë <script>alert(1)</script>")
    screenshot("sandbox-simulator")

    call_command("poll_x", "--once", stdout=open("/dev/null", "w"))
    kinds = set(Interaction.objects.filter(contact__identities__handle="zoe_travels").values_list("kind", flat=True))
    assert kinds == {"chat", "twitter"}
