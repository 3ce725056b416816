"""Talking to the sandbox as X's clients do: raw HTTP with an OAuth 1.0a (or Bearer) header."""

import io
import json
from pathlib import Path

import pytest
import requests
from PIL import Image

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def shape(value):
    """Keys and JSON types, recursively: what a client relies on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def assert_same_keys(answer: dict, documented: dict, *, ignore=()):
    """Every key path of the documented example is in the answer, with the same JSON type."""

    def paths(d, prefix=""):
        found = {}
        for key, value in d.items():
            found[prefix + key] = type(value).__name__
            if isinstance(value, dict):
                found |= paths(value, f"{prefix}{key}.")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                found |= paths(value[0], f"{prefix}{key}[].")
        return found

    documented_paths, answer_paths = paths(documented), paths(answer)
    missing = set(documented_paths) - set(answer_paths) - set(ignore)
    assert not missing, f"the sandbox answer lacks {sorted(missing)}"
    wrong = {p for p in documented_paths if p in answer_paths and documented_paths[p] != answer_paths[p]}
    assert not wrong, f"the sandbox answer has other JSON types at {sorted(wrong)}"


def png(size=(80, 32), color=(0, 128, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def gif(size=(48, 32), frames=3) -> bytes:
    """A small animated GIF."""
    out = io.BytesIO()
    images = [Image.new("P", size, n * 40) for n in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


class X:
    """Raw HTTP as a user of the sandbox (OAuth header present, signature not checked, as documented)."""

    def __init__(self, base: str, token: str = "", *, bearer: str = ""):
        self.base = base
        if bearer:
            self.auth = {"Authorization": f"Bearer {bearer}"}
        else:
            self.auth = {"Authorization": f'OAuth oauth_consumer_key="k", oauth_token="{token}", oauth_signature="s"'}

    def get(self, path, **params):
        return requests.get(f"{self.base}{path}", params=params, headers=self.auth, timeout=10)

    def post(self, path, body=None, **kwargs):
        return requests.post(f"{self.base}{path}", json=body, headers=self.auth, timeout=10, **kwargs)

    def delete(self, path):
        return requests.delete(f"{self.base}{path}", headers=self.auth, timeout=10)


@pytest.fixture
def people(simulator):
    """A brand and a customer in the sandbox, and an X client acting as each."""
    brand, maya = simulator.user("acmecare", "Acme Care"), simulator.user("maya", "Maya Patel")
    return brand, maya, X(simulator.base, brand["access_token"]), X(simulator.base, maya["access_token"])


@pytest.fixture
def app_only(simulator):
    return X(simulator.base, bearer="AAAAAAAAAAAAAAAAAAAAAsandbox-app")


@pytest.fixture
def locked_server_url(settings, transactional_db):
    """A second live server forked with the sandbox as a DEBUG-off deployment serves it (the session's live server
    is a DEBUG checkout's); `settings.X_SANDBOX_TOKEN` is its token for scripts."""
    from functools import partial

    from channels.testing.live import set_database_connection
    from daphne.testing import DaphneProcess
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from tests import live_server

    settings.X_SANDBOX_OPEN = False
    settings.X_SANDBOX_TOKEN = "locked-sandbox-token-0123456789"
    server = DaphneProcess(
        "127.0.0.1", partial(live_server.application, static_wrapper=ASGIStaticFilesHandler),
        setup=set_database_connection,
    )  # fmt: skip
    server.start()
    if not server.ready.wait(timeout=30):
        server.terminate()
        raise RuntimeError("Daphne did not start")
    url = f"http://127.0.0.1:{server.port.value}"
    yield url
    live_server.wait_until_quiet(url)
    server.terminate()
    server.join(timeout=10)
