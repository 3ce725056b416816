"""The sandbox calls (CRC) and delivers X Activity API events only to Perch's own webhook view, on a host Perch
serves: anything else is refused in words when registered and never requested (it would be a way to make the
server GET or POST anywhere)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import RequestFactory
from django.urls import reverse

from interactions.models import Message
from social.integrations.x_client import XBadRequest, XClient
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxApp, SandboxDelivery, SandboxSubscription, SandboxWebhook
from social.sandbox.webhooks import perch_webhook_refusal
from tests.live_server import wait_until_quiet
from tests.social.conftest import switch_to_webhook


def perch_webhook_path(account) -> str:
    """Perch's own webhook URL path for the account, whatever its shape (social/urls.py)."""
    return account.webhook_path


class Listener:
    """A server that is not Perch, recording every request that reaches it."""

    def __init__(self, host: str):
        self.seen: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                listener.seen.append(self.path)
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listeners():
    """Two servers that are not Perch: one on Perch's host name (127.0.0.1), one on a host Perch does not serve."""
    found = [Listener("127.0.0.1"), Listener("127.0.0.2")]
    yield found
    for listener in found:
        listener.server.shutdown()
        listener.server.server_close()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_outside_perch_is_refused_in_words_and_never_requested(simulator, brand, live_server_url, listeners):
    maya, tom = simulator.user("maya", "Maya Patel"), simulator.user("tom", "Tom Becker")
    webhook_path, live_port = perch_webhook_path(brand), live_server_url.rsplit(":", 1)[1]
    on_perch_host, elsewhere = listeners
    outside = [
        f"http://127.0.0.1:{on_perch_host.port}{webhook_path}",  # Perch's host name, but another server on it
        f"http://127.0.0.2:{elsewhere.port}{webhook_path}",  # a host Perch does not serve
        f"http://169.254.169.254{webhook_path}",
        "http://169.254.169.254/latest/meta-data/",
        f"{live_server_url}/admin/",  # Perch, but not its webhook
        f"{live_server_url}/x-sandbox/simulator/api/reset",
        f"ftp://127.0.0.1:{live_port}{webhook_path}",
        f"http://someone:secret@127.0.0.1:{live_port}{webhook_path}",
        f"http://127.0.0.1:{live_port}",
        "not a url",
        "http://[::1",
        f"http://127.0.0.1:99999{webhook_path}",
    ]
    client = XClient.for_account(brand)
    for url in outside:
        with pytest.raises(XBadRequest) as refused:  # POST /2/webhooks, as Perch registers itself
            client.create_webhook(url=url)
        assert "UrlValidationFailed" in str(refused.value) and "Perch's own webhook" in str(refused.value), url
    assert not SandboxWebhook.objects.exists()

    # Rows from before the check (or written some other way) are never requested either: logged as failed.
    app = SandboxApp.objects.get(consumer_key=brand.consumer_key)
    for user, url in ((maya, f"http://127.0.0.1:{on_perch_host.port}/collect"),
                      (tom, f"http://127.0.0.2:{elsewhere.port}{webhook_path}")):  # fmt: skip
        hook = SandboxWebhook.objects.create(id=new_id(), app=app, url=url)
        SandboxSubscription.objects.create(id=new_id(), app=app, webhook=hook, event_type="dm.sent", user_id=user["id"])
    # Perch's own webhook is registered as Perch does it and gets the deliveries: the proof that they went out.
    switch_to_webhook(brand, live_server_url)
    simulator.dm(maya, brand.x_user_id, "Where is my bag?")
    simulator.dm(tom, brand.x_user_id, "Mine too")
    deadline = time.monotonic() + 10
    while Message.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(Message.objects.values_list("text", flat=True)) == {"Where is my bag?", "Mine too"}
    wait_until_quiet(live_server_url)
    assert (on_perch_host.seen, elsewhere.seen) == ([], [])
    refused = SandboxDelivery.objects.filter(event_type="dm.sent")
    assert refused.count() == 2 and all("Perch's own webhook" in d.error and d.state == "failed" for d in refused)


@pytest.mark.django_db
def test_a_webhook_must_be_on_a_host_and_port_perch_serves(settings):
    """The registering request's own host is `testserver` (port 80); ALLOWED_HOSTS names the others."""
    settings.ALLOWED_HOSTS = ["testserver", ".perch.example.com"]
    path = reverse("x_webhook", args=[1, "a" * 43])
    request = RequestFactory().post("/x-sandbox/2/webhooks")

    for url in (
        f"http://testserver{path}",
        f"https://care.perch.example.com{path}",
        f"https://PERCH.example.com{path}",
    ):
        assert perch_webhook_refusal(url, request=request) == "", url
    for url in (
        f"https://care.perch.example.com:8443{path}",
        f"http://testserver:8000{path}",
        f"http://evil.com{path}",
    ):
        assert "Perch's own webhook" in perch_webhook_refusal(url, request=request), url
    settings.ALLOWED_HOSTS = ["*"]  # a wildcard is no host name: it would let the Host header pick the target
    assert "ALLOWED_HOSTS" in perch_webhook_refusal(f"http://evil.com{path}", request=request)
