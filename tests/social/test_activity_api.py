"""Acceptance: an account in webhook mode is connected to X's Activity API end to end — from the supervisor's switch
in the admin, through the real task, over real HTTP to the sandbox (which checks the webhook with a CRC and
delivers its events in X's envelope), back to Perch's rows — and disconnected again."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from interactions.models import Message
from social import polling
from social.activity import EVENT_TYPES
from social.integrations.x_client import XClient
from social.models import IngestCursor, RejectedEvent, XAccount, XSubscription, XWebhook
from social.sandbox import webhooks as sandbox_webhooks
from social.sandbox.models import SandboxDelivery, SandboxSubscription, SandboxWebhook
from tests.factories import PASSWORD
from tests.helpers import sign_in
from tests.social.test_worker_death import wait_for
from workspace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def supervisor():
    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    return sign_in("sam", PASSWORD)


@pytest.fixture
def public_url(settings, live_server_url):
    """X reaches this Perch at the live server's address (PERCH_PUBLIC_URL, as a deployment behind a proxy sets it)."""
    settings.PERCH_PUBLIC_URL = live_server_url
    return live_server_url


def admin_save(client, account, **changes):
    """The supervisor saves the account's admin page with `changes`, every other field as the page shows it."""
    url = f"/admin/social/xaccount/{account.pk}/change/"
    page = client.get(url)
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = (
                "on" if value is True else json.dumps(value) if isinstance(value, dict) else value
            )
    response = client.post(url, {**data, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    return account


def connect(supervisor, brand):
    return admin_save(supervisor, brand, mode=XAccount.Mode.WEBHOOK)


def rows() -> list[tuple]:
    """What Perch stored, in the words that matter: each message with its conversation and who wrote it."""
    return sorted(
        Message.objects.values_list(
            "kind", "external_id", "direction", "delivery", "text", "display_start", "in_reply_to_external_id",
            "created_at", "author_identity__external_id", "interaction__kind", "interaction__thread_key",
            "interaction__root_tweet_id", "interaction__contact__display_name",
        )
    )  # fmt: skip


def test_switching_to_webhook_mode_registers_the_webhook_and_its_subscriptions_at_x(supervisor, simulator, brand,
                                                                                    public_url):  # fmt: skip
    connect(supervisor, brand)
    hook = XWebhook.objects.get(account=brand)
    assert (hook.state, hook.crc_valid, hook.error) == (XWebhook.State.CONNECTED, True, "")
    assert hook.url == f"{public_url}{brand.webhook_path}"
    at_x = XClient.for_account(brand).webhooks()  # GET /2/webhooks, the app's Bearer token
    assert [(w.id, w.url, w.valid) for w in at_x] == [(hook.x_webhook_id, hook.url, True)]
    subscribed = SandboxSubscription.objects.filter(webhook_id=hook.x_webhook_id, user_id=brand.x_user_id)
    assert sorted(subscribed.values_list("event_type", flat=True)) == sorted(EVENT_TYPES)
    ours = XSubscription.objects.filter(account=brand, state=XSubscription.State.ACTIVE)
    assert set(ours.values_list("x_subscription_id", flat=True)) == set(subscribed.values_list("pk", flat=True))
    page = supervisor.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    assert "Registered" in page and f"X's webhook id {hook.x_webhook_id} · CRC valid" in page
    assert all(event_type in page for event_type in EVENT_TYPES) and page.count("<td>Active</td>") == len(EVENT_TYPES)
    assert IngestCursor.objects.filter(account=brand).exists()  # the catch-up poll ran, as for any switch


def test_a_dm_a_mention_and_a_reply_by_webhook_become_the_rows_polling_makes(supervisor, simulator, brand, public_url):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    brand_post = simulator.tweet({"id": brand.x_user_id}, "Our spring timetable is out!")
    connect(supervisor, brand)
    simulator.dm(maya, brand.x_user_id, "Where is my parcel?")
    simulator.tweet(tom, "@acmecare my bag never arrived 😡")
    simulator.tweet(maya, "Does it include the night train?", in_reply_to=brand_post["id"])  # post.reply.create
    delivered = SandboxDelivery.objects.filter(state="delivered")
    wait_for(lambda: delivered.count() == 3, 15, "the three deliveries answered")
    assert sorted(delivered.values_list("event_type", flat=True)) == ["dm.received", "post.mention.create",
                                                                      "post.reply.create"]  # fmt: skip
    assert Message.objects.count() == 4  # and the brand's post replied to, which X included
    by_webhook = rows()

    Message.objects.all().delete()
    brand.interactions.all().delete()
    IngestCursor.objects.filter(account=brand).delete()
    polling.poll_account(account_id=brand.pk, force=True)  # the same events, read by polling
    assert rows() == by_webhook


def test_the_same_delivery_twice_is_stored_once(supervisor, simulator, brand, public_url):
    connect(supervisor, brand)
    simulator.dm(simulator.user("maya", "Maya Patel"), brand.x_user_id, "Hello?")
    delivery = wait_for(lambda: SandboxDelivery.objects.filter(state="delivered").first(), 10, "the delivery")
    again = sandbox_webhooks.send(delivery)  # X delivering it again (a retry, a replay): the same event_uuid
    assert (again.state, again.status_code) == ("delivered", 200)
    assert Message.objects.count() == 1 and brand.deliveries.count() == 1


def test_oauth_revoke_marks_the_account_needs_reconnect_within_the_one_delivery(supervisor, simulator, brand,
                                                                               public_url):  # fmt: skip
    connect(supervisor, brand)
    polled_at = XAccount.objects.get(pk=brand.pk).last_polled_at
    cookie = supervisor.cookies["sessionid"].value

    async def scenario():
        headers = [
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ]
        communicator = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)  # hello
        simulator.revoke(brand.x_user_id)  # the brand revokes Perch's access at X
        alert = await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()
        return alert

    alert = async_to_sync(scenario)()
    assert alert["type"] == "account.needs_reconnect" and alert["account_id"] == brand.pk
    brand.refresh_from_db()
    assert brand.needs_reconnect and "oauth.revoke" in brand.last_error
    assert brand.last_polled_at == polled_at  # no poll found it: the one delivery did
    (revoke,) = SandboxDelivery.objects.filter(event_type="oauth.revoke")
    assert revoke.state == "delivered" and revoke.envelope["data"]["filter"] == {}


def test_an_event_type_perch_did_not_subscribe_to_is_kept_as_rejected_and_answered_200(supervisor, simulator, brand,
                                                                                      public_url):  # fmt: skip
    hook = connect(supervisor, brand).webhook
    # Someone subscribed the app's webhook to the brand's own posts too, at X.
    XClient.for_account(brand).create_subscription(
        event_type="post.create", user_id=brand.x_user_id, webhook_id=hook.x_webhook_id
    )
    simulator.tweet({"id": brand.x_user_id}, "We are running late today, sorry!")
    kept = wait_for(lambda: RejectedEvent.objects.filter(stream="webhook").first(), 10, "the rejected event")
    assert kept.error == "event type post.create is not one Perch subscribes to"
    assert kept.payload["data"]["payload"]["text"] == "We are running late today, sorry!"
    delivery = SandboxDelivery.objects.get(event_type="post.create")
    assert (delivery.state, delivery.status_code) == ("delivered", 200) and not Message.objects.exists()


def test_switching_back_to_polling_removes_the_subscriptions_and_the_webhook_at_x(supervisor, simulator, brand,
                                                                                 public_url):  # fmt: skip
    connect(supervisor, brand)
    assert SandboxSubscription.objects.count() == len(EVENT_TYPES)
    before = XAccount.objects.get(pk=brand.pk).last_polled_at
    admin_save(supervisor, brand, mode=XAccount.Mode.POLLING)
    assert not SandboxWebhook.objects.exists() and not SandboxSubscription.objects.exists()
    assert not XWebhook.objects.filter(account=brand).exists() and not XSubscription.objects.exists()
    assert XAccount.objects.get(pk=brand.pk).last_polled_at > before  # the catch-up poll, as today
    page = supervisor.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    assert "Not registered: the account polls." in page


def test_a_crc_that_fails_leaves_x_s_words_and_connect_again_finishes_it(supervisor, simulator, brand, public_url):
    simulator.app("consumer-key", "not-the-secret-perch-has")  # the app's secret at X is another one
    connect(supervisor, brand)
    hook = XWebhook.objects.get(account=brand)
    assert hook.state == XWebhook.State.FAILED and hook.x_webhook_id == "" and hook.retry_at is None
    assert "CrcValidationFailed" in hook.error and "did not answer X's CRC check" in hook.error
    page = supervisor.get(f"/admin/social/xaccount/{brand.pk}/change/").content.decode()
    assert "Failed" in page and "CrcValidationFailed" in page

    simulator.app("consumer-key", "consumer-secret")  # the supervisor fixed the app's secret
    supervisor.post("/admin/social/xaccount/", {"action": "connect_webhook_again", "_selected_action": [brand.pk]})
    hook.refresh_from_db()
    assert (hook.state, hook.error, hook.crc_valid) == (XWebhook.State.CONNECTED, "", True)
    assert XSubscription.objects.filter(account=brand, state="active").count() == len(EVENT_TYPES)


def test_x_s_server_errors_are_retried_and_answers_perch_never_heard_are_not_made_twice(
    supervisor, simulator, brand, public_url, settings
):
    settings.X_API_TIMEOUT_SECONDS = 2
    simulator.fault(method="POST", path="/2/webhooks", status=503, times=1)
    simulator.fault(method="POST", path="/2/webhooks", status=0, delay_ms=3500, times=1)  # made, answered too late
    simulator.fault(method="POST", path="/2/activity/subscriptions", status=502, skip=1, times=1)
    simulator.fault(method="POST", path="/2/activity/subscriptions", status=0, delay_ms=3500, skip=3, times=1)
    connect(supervisor, brand)  # the worker's retries run inline here
    hook = XWebhook.objects.get(account=brand)
    assert (hook.state, hook.error) == (XWebhook.State.CONNECTED, "")
    assert list(SandboxWebhook.objects.values_list("pk", flat=True)) == [hook.x_webhook_id]  # registered once
    made = SandboxSubscription.objects.values_list("event_type", flat=True)
    assert sorted(made) == sorted(EVENT_TYPES)  # each once, the one whose answer was lost adopted from X's list
    assert set(XSubscription.objects.values_list("x_subscription_id", flat=True)) == set(
        SandboxSubscription.objects.values_list("pk", flat=True)
    )


def test_x_s_rate_limit_leaves_when_it_tries_again_and_then_it_connects(simulator, brand, public_url):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from social import activity, services

    simulator.fault(method="POST", path="/2/activity/subscriptions", status=429, skip=2, times=1)
    with pytest.MonkeyPatch.context() as patch:  # the worker, not started: this test runs its steps itself
        patch.setattr("social.tasks.connect_webhook.delay", lambda account_id: None)
        services.xaccount_set_mode(account_id=brand.pk, mode=XAccount.Mode.WEBHOOK)
    outcome = activity.connect(account_id=brand.pk)
    hook = XWebhook.objects.get(account=brand)
    assert hook.state == XWebhook.State.FAILED and "rate limit" in hook.error and outcome.retry_at == hook.retry_at
    assert timezone.now() < hook.retry_at <= timezone.now() + timedelta(seconds=62)
    assert XSubscription.objects.filter(account=brand, state="active").count() == 2  # the ones before the 429 stay
    with time_machine.travel(hook.retry_at, tick=True):  # the task's retry, at X's reset
        assert activity.connect(account_id=brand.pk, attempt=1).done
    hook.refresh_from_db()
    assert hook.state == XWebhook.State.CONNECTED and SandboxSubscription.objects.count() == len(EVENT_TYPES)


def test_without_the_bearer_token_removal_says_what_x_wants_and_connect_again_finishes_it(
    supervisor, simulator, brand, public_url
):
    bearer = brand.bearer_token
    connect(supervisor, brand)
    XAccount.objects.filter(pk=brand.pk).update(bearer_token="")
    admin_save(supervisor, brand, mode=XAccount.Mode.POLLING)
    hook = XWebhook.objects.get(account=brand)
    assert hook.state == XWebhook.State.FAILED and "X wants the app's Bearer token" in hook.error
    assert SandboxSubscription.objects.count() == len(EVENT_TYPES)  # nothing pretended removed

    admin_save(supervisor, brand, bearer_token=bearer)
    supervisor.post("/admin/social/xaccount/", {"action": "connect_webhook_again", "_selected_action": [brand.pk]})
    assert not SandboxWebhook.objects.exists() and not SandboxSubscription.objects.exists()
    assert not XWebhook.objects.filter(account=brand).exists()


def test_connect_again_repairs_what_x_lost_a_webhook_and_a_subscription(supervisor, simulator, brand, public_url):
    hook = connect(supervisor, brand).webhook
    client = XClient.for_account(brand)
    dropped = XSubscription.objects.get(account=brand, event_type="dm.received").x_subscription_id
    client.delete_subscription(subscription_id=dropped)  # gone at X, behind Perch's back
    connect_again = {"action": "connect_webhook_again", "_selected_action": [brand.pk]}
    supervisor.post("/admin/social/xaccount/", connect_again)
    made_again = XSubscription.objects.get(account=brand, event_type="dm.received")
    assert made_again.state == "active" and made_again.x_subscription_id not in ("", dropped)
    assert SandboxSubscription.objects.count() == len(EVENT_TYPES)

    client.delete_webhook(webhook_id=hook.x_webhook_id)  # and the webhook too
    supervisor.post("/admin/social/xaccount/", connect_again)
    hook.refresh_from_db()
    assert hook.state == XWebhook.State.CONNECTED and SandboxWebhook.objects.get().pk == hook.x_webhook_id
    assert sorted(
        SandboxSubscription.objects.filter(webhook_id=hook.x_webhook_id).values_list("event_type", flat=True)
    ) == sorted(EVENT_TYPES)


def test_a_new_account_added_in_webhook_mode_is_connected_at_x(supervisor, simulator, brand, public_url):
    other = simulator.user("acmebikes", "Acme Bikes")
    supervisor.post("/admin/social/xaccount/add/", {
        "name": "Acme Bikes", "handle": "acmebikes", "x_user_id": other["id"], "mode": "webhook",
        "access": "pay_per_use", "move_to_dm_text": "We've sent you a DM",
        "poll_interval_seconds": 60, "budget_overrides": "{}", "api_base_url": simulator.base,
        "consumer_key": brand.consumer_key, "consumer_secret": brand.consumer_secret,
        "access_token": other["access_token"], "access_token_secret": "s", "bearer_token": brand.bearer_token,
        "is_active": "on", "cursors-TOTAL_FORMS": 0, "cursors-INITIAL_FORMS": 0,
    })  # fmt: skip
    account = XAccount.objects.get(handle="acmebikes")
    assert account.webhook.state == XWebhook.State.CONNECTED
    assert SandboxSubscription.objects.filter(user_id=other["id"]).count() == len(EVENT_TYPES)


def test_a_new_webhook_url_is_registered_at_x_in_place_of_the_old_one(supervisor, simulator, brand, public_url):
    old = connect(supervisor, brand).webhook
    old_id, old_url = old.x_webhook_id, old.url
    supervisor.post("/admin/social/xaccount/", {"action": "rotate_webhook_url", "_selected_action": [brand.pk]})
    hook = XWebhook.objects.get(account=brand)
    brand.refresh_from_db()
    assert hook.url == f"{public_url}{brand.webhook_path}" != old_url and hook.state == XWebhook.State.CONNECTED
    assert list(SandboxWebhook.objects.values_list("pk", "url")) == [(hook.x_webhook_id, hook.url)]
    assert hook.x_webhook_id != old_id
    assert set(SandboxSubscription.objects.values_list("webhook_id", flat=True)) == {hook.x_webhook_id}
    simulator.dm(simulator.user("maya", "Maya Patel"), brand.x_user_id, "Still there?")
    wait_for(lambda: Message.objects.filter(text="Still there?").exists(), 10, "a delivery at the new URL")
