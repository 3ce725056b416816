"""The composer says what a public reply costs before Send: in Chromium, typing a link into a reply shows "Public
reply on X · costs $0.20 (contains a link)" (X's rate for a post holding a URL, from the account's price table), and
taking the link out hides it again. A link is what twitter-text calls one, as X counts it."""

import re

import pytest
import requests
from django.core.management import call_command
from playwright.sync_api import expect

from interactions import services
from interactions.models import Interaction
from social.models import XAccount
from tests.e2e.helpers import in_worker_thread, sign_in
from tests.e2e.test_conversation import poll
from tests.e2e.test_reply_ring import collect_console_errors, open_interaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_composer_shows_the_price_of_a_reply_with_a_link_before_send(live_server_url, page, screenshot):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    XAccount.objects.update(api_base_url=f"{live_server_url}/x-sandbox")
    simulator = f"{live_server_url}/x-sandbox/simulator/api"
    user = requests.post(f"{simulator}/users", json={"username": "maya", "name": "Maya Patel"}, timeout=10).json()
    tweet = {"author_id": user["id"], "text": "@perchdemoair my bag never arrived"}
    tweet_id = requests.post(f"{simulator}/tweet", json=tweet, timeout=10).json()["id"]
    poll()
    from django.contrib.auth import get_user_model

    ana = get_user_model().objects.get(username="ana")
    interaction = Interaction.objects.get(kind="twitter", messages__external_id=tweet_id)

    def take():
        services.interaction_offer(interaction_id=interaction.pk, agent=ana)
        services.interaction_accept(interaction_id=interaction.pk, agent=ana)

    in_worker_thread(take)
    page.set_viewport_size({"width": 1280, "height": 800})
    errors = collect_console_errors(page)
    sign_in(page, live_server_url, "ana")
    view = open_interaction(page, live_server_url, interaction)
    composer = view.get_by_role("textbox", name="Write a message")
    destination = view.locator(".composer-destination")  # "Public reply on X", the price joins it
    cost = destination.locator(".reply-cost-price")

    composer.fill("So sorry, Maya! We are on it.")
    expect(cost).to_be_hidden()
    composer.fill("So sorry, Maya! Track it at acme.com/bags")
    expect(cost).to_be_visible()
    expect(destination).to_have_text(re.compile(r"^\s*Public reply on X\s*· costs \$0\.20 \(contains a link\)\s*$"))
    expect(view.get_by_role("button", name="Send")).to_be_enabled()  # said before Send, not instead of it
    screenshot("reply-cost")
    composer.fill("So sorry, Maya! Track it at acme.example/bags")  # not a link to twitter-text (nor to X)
    expect(cost).to_be_hidden()
    assert errors == []
