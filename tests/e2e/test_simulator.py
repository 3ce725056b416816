"""The customer simulator in real Chromium: act as a customer, DM (with a photo) and tweet at the demo brand,
see the brand's answers and like arrive live, reply to the brand; Perch then picks the customer's DM and tweet up."""

import io
import os

import pytest
import requests
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from interactions.models import Interaction
from social.models import XAccount

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BRAND_ID = "1790000000000000001"


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), (230, 120, 40)).save(out, "PNG")
    return out.getvalue()


def as_brand(base: str, method: str, path: str, body: dict, status=(200, 201)) -> dict:
    """The brand acting through the X API, as Perch's agents do (OAuth 1.0a header with the brand's token)."""
    auth = {"Authorization": f'OAuth oauth_consumer_key="k", oauth_token="{BRAND_ID}-sandbox"'}
    response = requests.request(method, f"{base}{path}", json=body, headers=auth, timeout=10)
    assert response.status_code in status, response.text
    return response.json()


def test_a_customer_talks_to_the_brand_sees_its_answers_and_perch_picks_it_up(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    sandbox = f"{live_server_url}/x-sandbox"

    page.goto(f"{sandbox}/simulator/")
    expect(page.get_by_label("Talking to")).to_contain_text("Perch Demo Air (@perchdemoair)")
    page.get_by_text("New customer…").click()
    page.get_by_label("Name", exact=True).fill("Zoë <script>alert(1)</script>")
    page.get_by_label("Username", exact=True).fill("zoe_travels")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_label("Customer", exact=True)).to_contain_text("@zoe_travels")
    expect(page.locator("#acting")).to_have_text("@zoe_travels → @perchdemoair")

    page.get_by_label("Message to the brand").fill("Hi! My suitcase never arrived 😡")
    page.locator("#dm-image").set_input_files(files=[{"name": "tag.png", "mimeType": "image/png", "buffer": photo()}])
    page.get_by_role("button", name="Send DM").click()
    expect(page.locator("#dm-list")).to_contain_text("My suitcase never arrived")
    expect(page.locator("#dm-list img.attached")).to_be_visible()

    page.get_by_role("tab", name="Tweet").click()
    expect(page.get_by_label("Public tweet")).to_have_value("@perchdemoair ")
    page.get_by_label("Public tweet").fill("@perchdemoair still waiting for my refund")
    expect(page.locator("#tweet-count")).to_have_text("239 left")
    page.get_by_role("button", name="Tweet", exact=True).click()
    expect(page.locator("#tweet-list")).to_contain_text("still waiting for my refund")
    expect(page.locator("#tweet-list .who").first).to_contain_text("Zoë <script>alert(1)</script>")

    # The brand answers through the X API; the page shows it within one poll.
    zoe = requests.post(f"{sandbox}/simulator/api/users", json={"username": "zoe_travels"}, timeout=10).json()
    tweet_id = requests.get(f"{sandbox}/simulator/api/activity", params={"user_id": zoe["id"]}, timeout=10).json()[
        "tweets"
    ][0]["id"]
    as_brand(
        sandbox,
        "POST",
        "/2/tweets",
        {"text": "So sorry! We're on it.", "reply": {"in_reply_to_tweet_id": tweet_id}},  # as Perch sends it
    )
    # The demo brand's app is self-serve: X refuses its likes (since 2026-04-20). As an Enterprise app it may like.
    refused = as_brand(sandbox, "POST", f"/2/users/{BRAND_ID}/likes", {"tweet_id": tweet_id}, status=(403,))
    assert refused["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    requests.post(f"{sandbox}/simulator/api/users", json={"username": "perchdemoair", "tier": "enterprise"},
                  timeout=10).raise_for_status()  # fmt: skip
    as_brand(sandbox, "POST", f"/2/users/{BRAND_ID}/likes", {"tweet_id": tweet_id})
    as_brand(
        sandbox, "POST", f"/2/dm_conversations/with/{zoe['id']}/messages", {"text": "Found it — it lands tomorrow."}
    )
    brand_reply = page.locator("#tweet-list .tweet.brand .text")
    expect(brand_reply).to_have_text("@zoe_travels So sorry! We're on it.", timeout=5000)  # X put her in front
    expect(brand_reply.locator(".mentions")).to_have_text("@zoe_travels ")
    expect(page.locator("#tweet-list .liked")).to_have_text("♥ Liked by Perch Demo Air")
    expect(page.locator("#dm-list")).to_contain_text("it lands tomorrow")

    page.locator("#tweet-list .tweet.brand").get_by_role("button", name="Reply").click()
    expect(page.locator("#replying-to")).to_contain_text("@perchdemoair")
    expect(page.get_by_label("Public tweet")).to_have_value("")  # as on X: X puts @perchdemoair in front itself
    page.get_by_label("Public tweet").fill("thank you!")
    page.get_by_role("button", name="Tweet", exact=True).click()
    expect(page.locator("#tweet-list .tweet.reply")).to_have_count(2)
    expect(page.locator("#tweet-list .tweet.reply .text").last).to_have_text("@perchdemoair thank you!")
    assert page.evaluate("document.querySelectorAll('script').length") == 2  # the name stayed text
    screenshot("sandbox-simulator")

    call_command("poll_x", "--once", stdout=open("/dev/null", "w"))
    kinds = set(Interaction.objects.filter(contact__identities__handle="zoe_travels").values_list("kind", flat=True))
    assert kinds == {"chat", "twitter"}


def test_the_simulator_says_why_x_refused_an_upload_in_x_s_words_and_sends_a_phone_photo(live_server_url, page):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server_url}/x-sandbox/simulator/")
    expect(page.get_by_label("Talking to")).to_contain_text("Perch Demo Air (@perchdemoair)")
    status = page.locator("#status")

    page.get_by_label("Message to the brand").fill("Here is my boarding pass")
    too_big = os.urandom(6 * 1024 * 1024)  # X takes images up to 5 MB
    page.locator("#dm-image").set_input_files(files=[{"name": "pass.png", "mimeType": "image/png", "buffer": too_big}])
    page.get_by_role("button", name="Send DM").click()
    expect(status).to_have_text("File size exceeds 5242880 bytes.")  # X's words, not "The sandbox answered 400."
    expect(status).to_have_class("status error")

    out = io.BytesIO()
    Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(out, "PNG")  # a 3 MB photo: X takes it
    page.locator("#dm-image").set_input_files(
        files=[{"name": "pass.png", "mimeType": "image/png", "buffer": out.getvalue()}]
    )
    page.get_by_role("button", name="Send DM").click()
    expect(status).to_have_text("DM sent.")
    expect(page.locator("#dm-list img.attached")).to_be_visible()
    assert errors == [] or all("status of 400" in e for e in errors), errors  # the browser's own line for the 400
