"""The sandbox's X Activity API routes and deliveries against X's documented examples and rules: shapes key for
key, the authentication openapi.json lists per route, X's refusals, and deliveries in X's envelope."""

import pytest
import requests

from social.models import XAccount
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxApp, SandboxDelivery, SandboxSubscription, SandboxWebhook
from tests.social.conftest import switch_to_webhook
from tests.social.sandbox.conftest import assert_same_keys, example
from tests.social.test_worker_death import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
# The documented users' profile fields the sandbox does not have (metrics, badges, banners, entities …).
PROFILE = {"public_metrics", "profile_banner_url", "affiliation", "is_identity_verified", "verified_type", "url",
           "location", "entities", "most_recent_tweet_id", "pinned_tweet_id", "profile_geo_enrichment"}  # fmt: skip


class App:
    """Raw HTTP as Perch's app: OAuth 1.0a user context as the brand, or the app's Bearer token."""

    def __init__(self, base: str, brand, *, bearer: bool = False):
        self.base = base
        if bearer:
            self.headers = {"Authorization": f"Bearer {brand.bearer_token}"}
        else:
            self.headers = {"Authorization": f'OAuth oauth_consumer_key="{brand.consumer_key}", '
                                             f'oauth_token="{brand.access_token}", oauth_signature="s"'}  # fmt: skip

    def __getattr__(self, method):
        def call(path, body=None, **params):
            return requests.request(method.upper(), f"{self.base}{path}", json=body, params=params,
                                    headers=self.headers, timeout=15)  # fmt: skip

        return call


@pytest.fixture
def webhook_url(brand, live_server_url):
    XAccount.objects.filter(pk=brand.pk).update(mode=XAccount.Mode.WEBHOOK)  # so that its CRC is answered
    return f"{live_server_url}{brand.webhook_path}"


def test_webhooks_are_created_after_a_crc_listed_checked_and_deleted_in_x_s_shapes(simulator, brand, webhook_url):
    user, app = App(simulator.base, brand), App(simulator.base, brand, bearer=True)
    created = user.post("/2/webhooks", {"url": webhook_url})
    assert created.status_code == 200, created.text
    assert_same_keys(created.json(), example("webhook_create_example.json"))
    hook = created.json()["data"]
    assert (hook["url"], hook["valid"]) == (webhook_url, True) and hook["id"].isdigit()
    listed = app.get("/2/webhooks")
    assert listed.json() == {"data": [hook], "meta": {"result_count": 1}}
    assert_same_keys(listed.json(), example("webhooks_list_example.json"))
    checked = user.put(f"/2/webhooks/{hook['id']}")
    assert checked.json() == example("webhook_validate_example.json")
    assert user.delete(f"/2/webhooks/{hook['id']}").json() == example("webhook_delete_example.json")
    assert app.get("/2/webhooks").json() == {"data": [], "meta": {"result_count": 0}}


def test_webhook_refusals_are_x_s(simulator, brand, webhook_url):
    user, app = App(simulator.base, brand), App(simulator.base, brand, bearer=True)
    listed_as_user = user.get("/2/webhooks")  # X takes only the app's Bearer token here
    assert listed_as_user.status_code == 403 and listed_as_user.json()["title"] == "Unsupported Authentication"
    assert "OAuth 2.0 Application-Only" in listed_as_user.json()["detail"]
    unknown_app = requests.get(f"{simulator.base}/2/webhooks", headers={"Authorization": "Bearer guessed"}, timeout=10)
    assert unknown_app.status_code == 401
    assert "WebhookIdInvalid" in user.put("/2/webhooks/123").json()["errors"][0]["message"]
    assert "UrlValidationFailed" in user.post("/2/webhooks", {"url": "https://example.com/hook"}).text
    assert user.post("/2/webhooks", {"url": "x" * 201}).status_code == 400
    assert user.post("/2/webhooks", {"url": webhook_url}).status_code == 200
    duplicate = user.post("/2/webhooks", {"url": webhook_url})
    assert duplicate.status_code == 400 and "DuplicateUrlFailed" in duplicate.json()["errors"][0]["message"]
    assert app.get("/2/webhooks").json()["meta"]["result_count"] == 1


def test_a_webhook_whose_crc_fails_is_not_created_and_a_failing_recheck_marks_it_invalid(simulator, brand, webhook_url):
    user = App(simulator.base, brand)
    simulator.app(brand.consumer_key, "another-secret")
    refused = user.post("/2/webhooks", {"url": webhook_url})
    assert refused.status_code == 400 and "CrcValidationFailed" in refused.json()["errors"][0]["message"]
    assert refused.json()["title"] == "Invalid Request" and not SandboxWebhook.objects.exists()
    simulator.app(brand.consumer_key, brand.consumer_secret)
    hook = user.post("/2/webhooks", {"url": webhook_url}).json()["data"]
    simulator.app(brand.consumer_key, "another-secret")
    assert "CrcValidationFailed" in user.put(f"/2/webhooks/{hook['id']}").text
    assert SandboxWebhook.objects.get().valid is False


def test_subscriptions_are_created_listed_and_deleted_in_x_s_shapes(simulator, brand, webhook_url):
    user, app = App(simulator.base, brand), App(simulator.base, brand, bearer=True)
    hook = user.post("/2/webhooks", {"url": webhook_url}).json()["data"]
    body = {
        "event_type": "dm.received",
        "filter": {"user_id": brand.x_user_id},
        "tag": "care",
        "webhook_id": hook["id"],
    }
    created = user.post("/2/activity/subscriptions", body)
    assert created.status_code == 200, created.text
    assert_same_keys(created.json(), example("subscription_create_example.json"))
    made = created.json()["data"]["subscription"]
    assert (made["event_type"], made["filter"], made["tag"], made["webhook_id"]) == (
        "dm.received", {"user_id": brand.x_user_id}, "care", hook["id"],
    )  # fmt: skip
    listed = user.get("/2/activity/subscriptions")
    assert_same_keys(listed.json(), example("subscriptions_list_example.json"))
    assert listed.json()["data"] == [made] and listed.json()["meta"]["total_subscriptions"] == 1
    as_user = user.delete(f"/2/activity/subscriptions/{made['subscription_id']}")
    assert as_user.status_code == 403 and as_user.json()["title"] == "Unsupported Authentication"
    deleted = app.delete(f"/2/activity/subscriptions/{made['subscription_id']}")
    assert deleted.json() == example("subscription_delete_example.json")
    again = app.delete(f"/2/activity/subscriptions/{made['subscription_id']}")
    assert again.status_code == 404 and again.json()["resource_type"] == "subscription"


def test_subscription_refusals_are_x_s(simulator, brand, webhook_url):
    user, app = App(simulator.base, brand), App(simulator.base, brand, bearer=True)
    maya = simulator.user("maya", "Maya Patel")
    mine = {"event_type": "dm.received", "filter": {"user_id": brand.x_user_id}}
    assert user.post("/2/activity/subscriptions", {**mine, "event_type": "dm.everything"}).status_code == 400
    assert user.post("/2/activity/subscriptions", {"event_type": "dm.received"}).status_code == 400
    assert (
        user.post("/2/activity/subscriptions", {**mine, "filter": {"user_id": "1", "colour": "red"}}).status_code == 400
    )
    assert "WebhookIdInvalid" in user.post("/2/activity/subscriptions", {**mine, "webhook_id": "1"}).text
    # Private events only with the filtered user's own user context.
    assert app.post("/2/activity/subscriptions", mine).status_code == 403
    theirs = user.post("/2/activity/subscriptions", {**mine, "filter": {"user_id": maya["id"]}})
    assert theirs.status_code == 403 and "private event" in theirs.json()["detail"]
    # A public event, bio updates, is fine with the app's token.
    public = app.post(
        "/2/activity/subscriptions", {"event_type": "profile.update.bio", "filter": {"user_id": maya["id"]}}
    )
    assert public.status_code == 200
    assert user.post("/2/activity/subscriptions", mine).status_code == 200
    assert "DuplicateSubscription" in user.post("/2/activity/subscriptions", mine).text


def paths_under(documented: dict, *prefixes: str) -> set[str]:
    """Every key path of `documented` (as assert_same_keys reads them) under one of the prefixes."""

    def paths(d, prefix=""):
        found = set()
        for key, value in d.items():
            found.add(prefix + key)
            if isinstance(value, dict):
                found |= paths(value, f"{prefix}{key}.")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                found |= paths(value[0], f"{prefix}{key}[].")
        return found

    return {path for path in paths(documented) if path.startswith(prefixes)}


def keyed_by(users: dict, user_id: str) -> dict:
    """X's `users` map of the example, keyed by the id of a user of this test instead (the shape is per user)."""
    return {user_id: next(iter(users.values()))}


def test_deliveries_are_x_s_envelope_with_the_documented_payloads(simulator, brand, live_server_url):
    switch_to_webhook(brand, live_server_url)
    maya = simulator.user("maya", "Maya Patel")
    brand_post = simulator.tweet({"id": brand.x_user_id}, "Our spring timetable is out!")
    simulator.dm(maya, brand.x_user_id, "Hello!")
    simulator.dm({"id": brand.x_user_id}, maya["id"], "Hi Maya, how can we help?")  # the brand's own app
    simulator.tweet(maya, "hey @acmecare")
    simulator.tweet(maya, "Night trains too?", in_reply_to=brand_post["id"])
    wait_for(lambda: SandboxDelivery.objects.filter(state="delivered").count() == 4, 15, "the four deliveries")
    sent = {d.event_type: d.envelope for d in SandboxDelivery.objects.all()}
    assert set(sent) == {"dm.received", "dm.sent", "post.mention.create", "post.reply.create"}
    for event_type in ("dm.received", "dm.sent"):
        documented = example(f"xaa_{event_type.replace('.', '_')}_example.json")
        documented["data"]["payload"]["users"] = keyed_by(documented["data"]["payload"]["users"], maya["id"])
        profile = paths_under(documented, *(f"data.payload.users.{maya['id']}.data.{k}" for k in PROFILE))
        assert_same_keys(sent[event_type], documented, ignore=profile | {"data.tag"})
        assert sent[event_type]["data"]["filter"] == {"user_id": brand.x_user_id}
        assert sent[event_type]["data"]["tag"] == f"perch-{brand.pk}"  # the subscription's tag, as X sends it
    for event_type in ("post.mention.create", "post.reply.create"):
        documented = example(f"xaa_{event_type.replace('.', '_')}_example.json")
        ignore = paths_under(documented, *(f"data.includes.users[].{k}" for k in PROFILE))
        assert_same_keys(sent[event_type], documented, ignore=ignore)
    reply = sent["post.reply.create"]["data"]
    assert (reply["payload"]["in_reply_to_tweet_id"], reply["includes"]["tweets"][0]["id"]) == (brand_post["id"],) * 2
    mention = sent["post.mention.create"]["data"]
    assert mention["includes"]["tweets"][0]["id"] == mention["payload"]["id"]  # as X's example: the post itself
    assert all(d.status_code == 200 and d.event_uuid.lstrip("-").isdigit() for d in SandboxDelivery.objects.all())


def test_a_delivery_perch_never_got_is_logged_as_failed_with_the_reason(simulator, brand):
    app = SandboxApp.objects.get(consumer_key=brand.consumer_key)
    down = SandboxWebhook.objects.create(id=new_id(), app=app, url=f"http://127.0.0.1:9{brand.webhook_path}")
    invalid = SandboxWebhook.objects.create(id=new_id(), app=app, url=f"http://127.0.0.1:8{brand.webhook_path}",
                                            valid=False)  # fmt: skip
    for hook in (down, invalid):
        SandboxSubscription.objects.create(id=new_id(), app=app, webhook=hook, event_type="dm.received",
                                           user_id=brand.x_user_id)  # fmt: skip
    simulator.dm(simulator.user("maya", "Maya Patel"), brand.x_user_id, "Anyone there?")
    failed = wait_for(lambda: SandboxDelivery.objects.filter(webhook=down, state="failed").first(), 10, "the attempt")
    assert failed.status_code is None and "ConnectionError" in failed.error and failed.attempted_at is not None
    payload = failed.envelope["data"]["payload"]
    assert payload["direct_message_events"][0]["message_create"]["message_data"]["text"] == "Anyone there?"
    never = SandboxDelivery.objects.get(webhook=invalid)
    assert never.state == "failed" and "invalid" in never.error and never.attempted_at is None
