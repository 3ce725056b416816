"""A forged image must not run script in an agent's session, in real Chromium.

The probe's delivery pointed a DM's `media_url_https` at its own server: a page (`….html`) whose
`<script src>` named the message's second "image", a script (`….js`). Perch downloaded both with the account's
OAuth header, stored them under the URL's extension and served them same-origin as text/html and text/javascript,
so script-src 'self' let the page load the script. Here the same files come two ways: through the worker (from a
server that is not X), and as rows stored before the fix (files on disk under those names, and a GIF whose
comment is that page, a polyglot). Whatever the agent opens, nothing runs."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from interactions.models import InteractionState
from social.tasks import fetch_message_media
from tests.e2e.helpers import in_worker_thread, sign_in
from tests.factories import PASSWORD, AgentFactory, InboundDMFactory, InteractionFactory
from tests.social.test_media_fetch import Listener

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCRIPT = b"document.title = 'pwned'; console.log('pwned'); alert('pwned');"


def page_loading(script_url: str) -> bytes:
    return f"<!doctype html><title>forged</title><script src='{script_url}'></script>".encode()


def polyglot(page: bytes) -> bytes:
    """A real GIF whose comment is a page: an image to Pillow, a page to a browser told it is HTML."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "GIF", comment=page)
    return out.getvalue()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def assert_nothing_ran(page, dialogs, console):
    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert not [line for line in console if "pwned" in line], console
    assert page.evaluate("document.title") != "pwned"


def test_a_forged_media_page_runs_no_script_in_the_agents_session(live_server_url, page, listener, screenshot):
    agent = AgentFactory(username="mira")
    interaction = InteractionFactory(agent=agent, state=InteractionState.ACTIVE, accepted_at=timezone.now())
    interaction.contact.display_name = "Eve Forger"
    interaction.contact.save()

    # 1. Through the worker: the delivery names a page and a script on a server that is not X.
    forged = InboundDMFactory(interaction=interaction, text="see my receipt")
    media_url = f"/workspace/messages/{forged.pk}/media"
    forged.media = [
        {"media_key": "3_1", "type": "photo", "url": listener.serve("/r.html", page_loading(f"{media_url}/1/"))},
        {"media_key": "3_2", "type": "photo", "url": listener.serve("/r.js", SCRIPT)},
    ]
    forged.save()
    in_worker_thread(lambda: fetch_message_media(interaction.x_account_id, [forged.pk]))
    assert listener.requests == [], "Perch asked the forger's server for the media"

    # 2. Rows stored before the fix: the same page and script on disk under their names, and a polyglot GIF.
    stored = InboundDMFactory(interaction=interaction, text="and again")
    stored_url = f"/workspace/messages/{stored.pk}/media"
    page_of_stored = page_loading(f"{stored_url}/1/")
    stored.media = [
        {"type": "photo", "file": default_storage.save("x-media/old.html", ContentFile(page_of_stored))},
        {"type": "photo", "file": default_storage.save("x-media/old.js", ContentFile(SCRIPT))},
        {"type": "photo", "file": default_storage.save("x-media/poly.html", ContentFile(polyglot(page_of_stored)))},
    ]
    stored.save()

    dialogs, console = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))
    sign_in(page, live_server_url, "mira", PASSWORD)

    page.goto(f"{live_server_url}/workspace/interactions/{interaction.pk}/")
    transcript = page.get_by_role("article", name="Interaction with Eve Forger").get_by_label("Transcript")
    expect(transcript).to_contain_text("image not fetched: not from X")
    screenshot("forged-media-conversation")
    assert_nothing_ran(page, dialogs, console)

    for url, status, content_type in [
        (f"{media_url}/0/", 404, "text/html"),  # never fetched, so nothing to serve
        (f"{media_url}/1/", 404, "text/html"),
        (f"{stored_url}/0/", 404, "text/html"),  # a page is not an image, whatever it is called
        (f"{stored_url}/1/", 404, "text/html"),
        (f"{stored_url}/2/", 200, "image/gif"),  # the polyglot is an image: shown as one, in a sandbox
    ]:
        response = page.goto(live_server_url + url)
        page.wait_for_load_state("load")
        assert_nothing_ran(page, dialogs, console)
        assert response.status == status, url
        assert response.headers["content-type"].startswith(content_type), url
    assert page.evaluate("document.contentType") == "image/gif"
    screenshot("forged-media-polyglot")
