"""The sandbox delivers Account Activity only to Perch's own webhook view, on a host Perch serves: anything else
is refused in words when registered and never requested (it would be a way to make the server POST anywhere)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.test import Client
from django.urls import reverse

from interactions.models import Message
from social import services
from social.models import XAccount
from social.sandbox.models import SandboxUser, SandboxWebhook
from tests.live_server import wait_until_quiet


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
    services.xaccount_set_mode(account_id=brand.pk, mode=XAccount.Mode.WEBHOOK)
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
    for url in outside:
        body = {"user_id": brand.x_user_id, "url": url, "consumer_secret": "s"}
        response = requests.post(f"{simulator.api}/webhooks", json=body, timeout=10)
        assert response.status_code == 400, (url, response.text)
        assert "Perch's own webhook" in response.json()["detail"], (url, response.json())
    assert not SandboxWebhook.objects.exists()

    # Rows from before the check (or written some other way) are never requested either.
    for user, url in ((maya, f"http://127.0.0.1:{on_perch_host.port}/collect"),
                      (tom, f"http://127.0.0.2:{elsewhere.port}{webhook_path}")):  # fmt: skip
        SandboxWebhook.objects.create(user=SandboxUser.objects.get(pk=user["id"]), url=url, consumer_secret="s")
    # Perch's own webhook is registered as before and gets the delivery: the proof that deliveries went out.
    simulator._post("webhooks", {"user_id": brand.x_user_id, "url": f"{live_server_url}{webhook_path}",
                                 "consumer_secret": brand.consumer_secret})  # fmt: skip
    simulator.dm(maya, brand.x_user_id, "Where is my bag?")
    simulator.dm(tom, brand.x_user_id, "Mine too")
    deadline = time.monotonic() + 10
    while Message.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(Message.objects.values_list("text", flat=True)) == {"Where is my bag?", "Mine too"}
    wait_until_quiet(live_server_url)
    assert (on_perch_host.seen, elsewhere.seen) == ([], [])


@pytest.mark.django_db
def test_a_webhook_must_be_on_a_host_and_port_perch_serves(settings):
    """In-process, the request's own host is `testserver` (port 80); ALLOWED_HOSTS names the others."""
    settings.ALLOWED_HOSTS = ["testserver", ".perch.example.com"]
    SandboxUser.objects.create(id="1790000000000000001", username="brand", name="Brand")
    path = reverse("x_webhook", args=[1, "a" * 43])

    def register(url):
        body = {"user_id": "1790000000000000001", "url": url, "consumer_secret": "s"}
        return Client().post("/x-sandbox/simulator/api/webhooks", body, content_type="application/json")

    for url in (
        f"http://testserver{path}",
        f"https://care.perch.example.com{path}",
        f"https://PERCH.example.com{path}",
    ):
        assert register(url).status_code == 200, url
    for url in (
        f"https://care.perch.example.com:8443{path}",
        f"http://testserver:8000{path}",
        f"http://evil.com{path}",
    ):
        assert register(url).status_code == 400, url
    settings.ALLOWED_HOSTS = ["*"]  # a wildcard is no host name: it would let the Host header pick the target
    response = register(f"http://evil.com{path}")
    assert response.status_code == 400 and "ALLOWED_HOSTS" in response.json()["detail"]
