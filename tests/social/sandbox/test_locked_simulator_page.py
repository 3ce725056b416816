"""The customer simulator page with DEBUG off, in real Chromium: refused in words until a supervisor signs in, then
it works as in the demo, its JavaScript sending Django's CSRF token with every POST."""

import pytest
from playwright.sync_api import expect

from social.sandbox.models import SandboxDMEvent
from social.sandbox.services import sandbox_user_ensure
from tests.factories import PASSWORD, UserFactory, XAccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_with_debug_off_a_supervisor_signs_in_and_plays_a_customer(locked_server_url, page, screenshot):
    XAccountFactory(x_user_id="1790000000000000001", handle="perchdemoair", name="Perch Demo Air")
    UserFactory(username="supervisor", is_staff=True)
    sandbox_user_ensure(user_id="1790000000000000101", username="mayapatel", name="Maya Patel")
    simulator = f"{locked_server_url}/x-sandbox/simulator/"

    refused = page.goto(simulator)
    assert refused.status == 403
    expect(page.locator("body")).to_contain_text("needs a staff login")

    page.goto(f"{locked_server_url}/admin/login/?next=/x-sandbox/simulator/")
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(simulator)
    expect(page.get_by_label("Talking to")).to_contain_text("Perch Demo Air (@perchdemoair)")

    page.get_by_text("New customer…").click()
    page.get_by_label("Name", exact=True).fill("Zoë Travels")
    page.get_by_label("Username", exact=True).fill("zoe_travels")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_label("Customer", exact=True)).to_contain_text("@zoe_travels")
    page.get_by_label("Message to the brand").fill("Hi! My suitcase never arrived")
    page.get_by_role("button", name="Send DM").click()
    expect(page.locator("#status")).to_have_text("DM sent.")
    expect(page.locator("#dm-list")).to_contain_text("My suitcase never arrived")
    screenshot("locked-simulator-signed-in")
    assert SandboxDMEvent.objects.get().text == "Hi! My suitcase never arrived"
