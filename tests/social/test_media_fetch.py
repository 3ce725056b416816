"""Images of incoming messages: downloaded only from X's media hosts, with the account's OAuth signature only where
X needs it, never through a redirect to somewhere else, never more than X's largest image, and stored only as what
the decoder says they are. A probe's delivery pointed `media_url_https` at its own server: it received the
account's consumer key and access token, and Perch stored and served its `.html` page."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image

from social.integrations.x_errors import XMediaRefused
from social.integrations.x_media import media_access
from social.tasks import fetch_message_media
from tests.factories import InboundDMFactory, InteractionFactory, XAccountFactory

pytestmark = pytest.mark.django_db
PAGE = b"<!doctype html><script src='/workspace/messages/1/media/1/'></script>"


def png(color=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


class Listener:
    """An HTTP server on 127.0.0.1 that is not X: records every request it gets and answers what the test set up
    for the path (status, headers, body); anything else is a 404."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                listener.requests.append((self.path, dict(self.headers)))
                status, headers, body = listener.routes.get(self.path, (404, {}, b"no"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    if value is not None:
                        self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # Perch hung up once it had read enough

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, path: str, body: bytes, *, status: int = 200, **headers) -> str:
        self.routes[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, body)
        return self.url + path

    def authorizations(self) -> list[str]:
        return [headers.get("Authorization", "") for _, headers in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def other_listener():
    server = Listener()
    yield server
    server.close()


def fetched(account, *urls) -> list[dict]:
    """What the worker makes of a message with these media URLs (the task webhooks enqueue; polling calls the same)."""
    interaction = InteractionFactory(x_account=account)
    media = [{"media_key": f"3_{i}", "type": "photo", "url": url} for i, url in enumerate(urls)]
    message = InboundDMFactory(interaction=interaction, media=media)
    fetch_message_media(account.pk, [message.pk])
    message.refresh_from_db()
    return message.media


def test_a_media_url_on_a_host_that_is_not_x_is_never_requested_and_the_agent_sees_why(listener):
    account = XAccountFactory()  # its API is X's (well, a dead port): the listener is not one of X's hosts
    url = listener.serve("/evil.html", PAGE, Content_Type="text/html")
    [item] = fetched(account, url)
    assert listener.requests == [], f"the listener was asked, with Authorization {listener.authorizations()}"
    assert item["error"] == "image not fetched: not from X" and "file" not in item


def test_the_accounts_own_api_host_gets_the_signature_and_a_redirect_elsewhere_is_not_followed(
    listener, other_listener
):
    account = XAccountFactory(api_base_url=listener.url)  # as the demo's sandbox: the account's API base URL
    stolen = other_listener.serve("/steal.png", png())
    listener.serve("/media/3_1", b"", status=302, Location=stolen)
    listener.serve("/media/3_2", b"", status=302, Location="/media/photo")  # the same host: followed, signed again
    listener.serve("/media/photo", png())
    away, here = fetched(account, f"{listener.url}/media/3_1", f"{listener.url}/media/3_2")
    assert other_listener.requests == [], f"the redirect was followed, with {other_listener.authorizations()}"
    assert away["error"] == "image not fetched: not from X"
    assert here["file"].endswith(".png") and default_storage.exists(here["file"])
    signatures = listener.authorizations()
    assert len(signatures) == 3 and all(s.startswith("OAuth ") and "consumer-key" in s for s in signatures)


def test_xs_public_media_host_gets_no_credentials_and_its_dm_media_hosts_do():
    api = XAccountFactory(api_base_url="").effective_api_base_url  # X's own API
    assert media_access("https://pbs.twimg.com/media/F1.jpg?name=orig", api_base_url=api) == "public"
    for url in (
        "https://ton.twitter.com/1.1/ton/data/dm/1/2/abc.jpg",
        "https://api.x.com/2/dm_conversations/media/1/2/3",
        "https://api.twitter.com/2/dm_conversations/media/1/2/3",
    ):
        assert media_access(url, api_base_url=api) == "signed", url


@pytest.mark.parametrize(
    "url",
    [
        "http://pbs.twimg.com/media/F1.jpg",  # not over TLS
        "https://pbs.twimg.com:8443/media/F1.jpg",
        "https://pbs.twimg.com.evil.example/media/F1.jpg",
        "https://evil.example/pbs.twimg.com/F1.jpg",
        "https://pbs.twimg.com@evil.example/F1.jpg",
        "https://evil.example\\@pbs.twimg.com/F1.jpg",
        "https://evil.example#@pbs.twimg.com/F1.jpg",
        "http://127.0.0.1:9/elsewhere/media/1",  # the account's API host, but outside its base path
        "http://127.0.0.1:10/x-unreachable/media/1",  # its base path on another port
        "ftp://ton.twitter.com/x.jpg",
        "https://pbs.twimg.com:abc/F1.jpg",
        "http://[::1/F1.jpg",
        "http://127.0.0.1:9/x-unreachable/../workspace/messages/1/media/0/",
        "javascript:alert(1)",
        "",
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(XMediaRefused, match="not from X"):
        media_access(url, api_base_url="http://127.0.0.1:9/x-unreachable")


@override_settings(X_MEDIA_HOSTS=["cdn.example"], X_DM_MEDIA_HOSTS=["dm.example"])
def test_the_hosts_come_from_the_settings():
    assert media_access("https://cdn.example/a.jpg", api_base_url="https://api.twitter.com") == "public"
    assert media_access("https://dm.example/a.jpg", api_base_url="https://api.twitter.com") == "signed"
    with pytest.raises(XMediaRefused):
        media_access("https://pbs.twimg.com/a.jpg", api_base_url="https://api.twitter.com")


@pytest.mark.parametrize("length", [True, False], ids=["declared", "streamed"])
def test_a_download_bigger_than_xs_largest_image_is_refused(listener, length):
    account = XAccountFactory(api_base_url=listener.url)
    huge = png() + b"\0" * (16 * 1024 * 1024)
    url = listener.serve("/media/huge", huge, **({} if length else {"Content_Length": None}))
    [item] = fetched(account, url)
    assert item["error"] == "image not fetched: over 15 MB" and "file" not in item


def test_only_what_decodes_as_an_image_is_stored_with_the_decoders_type_and_one_failure_spares_the_rest(listener):
    account = XAccountFactory(api_base_url=listener.url)
    urls = [
        listener.serve("/media/photo.html", png() + b"<script>alert(1)</script>", Content_Type="text/html"),
        listener.serve("/media/page.png", PAGE, Content_Type="image/png"),
        listener.serve("/media/app.js", b"alert(document.cookie)", Content_Type="text/javascript"),
        listener.serve("/media/down", b"", status=503),
        listener.serve("/media/other.jpg", png((200, 10, 10))),
    ]
    photo, page, script, down, other = fetched(account, *urls)
    assert photo["file"].endswith(".png")
    with default_storage.open(photo["file"]) as stored:
        content = stored.read()
    assert content.startswith(b"\x89PNG") and b"<script>" not in content  # re-encoded: only the pixels
    assert page["error"].startswith("image not shown: ") and "not an image" in page["error"]
    assert script["error"].startswith("image not shown: ") and "file" not in script
    assert down["error"] == "image not fetched: X answered 503"
    assert other["file"].endswith(".png")  # named by what it is, not by its URL's .jpg
    assert not [item for item in (page, script, down) if "file" in item]  # nothing stored for them
