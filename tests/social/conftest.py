import base64
import io

import pytest
import requests
from PIL import Image

from tests.factories import XAccountFactory


class Simulator:
    """Acts as X users through the sandbox's customer simulator API, over real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.api = f"{base}/simulator/api"

    def _post(self, path: str, payload: dict) -> dict:
        response = requests.post(f"{self.api}/{path}", json=payload, timeout=10)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def user(self, username: str, name: str = "", user_id: str | None = None, new_token: bool = False) -> dict:
        payload = {"username": username, "name": name or username.title()}
        if user_id:
            payload["id"] = user_id
        if new_token:
            payload["new_token"] = True
        return self._post("users", payload)

    def activity(self, user: dict) -> dict:
        response = requests.get(f"{self.api}/activity", params={"user_id": user["id"]}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def dm(self, sender: dict, recipient_id: str, text: str, image: bytes | None = None) -> dict:
        payload = {"sender_id": sender["id"], "recipient_id": recipient_id, "text": text}
        if image:
            payload["image_base64"] = base64.b64encode(image).decode()
        return self._post("dm", payload)

    def tweet(self, author: dict, text: str, in_reply_to: str | None = None) -> dict:
        payload = {"author_id": author["id"], "text": text}
        if in_reply_to:
            payload["in_reply_to_tweet_id"] = in_reply_to
        return self._post("tweet", payload)

    def retweet(self, user: dict, tweet_id: str) -> dict:
        return self._post("retweet", {"user_id": user["id"], "tweet_id": tweet_id})

    def app(self, consumer_key: str, consumer_secret: str, bearer_token: str = "") -> dict:
        """The developer app with these keys at the sandbox (as X's Developer Console issues it), with its Bearer
        token; its consumer secret is the one the sandbox answers CRC checks and signs deliveries with."""
        return self._post("apps", {"consumer_key": consumer_key, "consumer_secret": consumer_secret,
                                   "bearer_token": bearer_token})  # fmt: skip

    def deliveries(self) -> list[dict]:
        """The sandbox's log of webhook deliveries, oldest first (the test reads the rows the server wrote)."""
        from social.sandbox.models import SandboxDelivery

        return list(SandboxDelivery.objects.order_by("created_at", "pk").values())

    def fault(self, **fault) -> dict:
        return self._post("faults", fault)

    def revoke(self, user_id: str) -> dict:
        return self._post("revoke", {"user_id": user_id})


def png(color=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def simulator(live_server_url) -> Simulator:
    return Simulator(f"{live_server_url}/x-sandbox")


@pytest.fixture
def brand(simulator):
    """The organisation's X account, known to the sandbox and to Perch (generous budget: tests fault on purpose),
    with its developer app's keys and Bearer token."""
    user = simulator.user("acmecare", "Acme Care")
    app = simulator.app("consumer-key", "consumer-secret")
    account = XAccountFactory(
        x_user_id=user["id"], handle="acmecare", access_token=user["access_token"], consumer_key="consumer-key",
        consumer_secret="consumer-secret", bearer_token=app["bearer_token"], api_base_url=simulator.base,
        budget_overrides={"multiplier": 100},
    )  # fmt: skip
    return account


def switch_to_webhook(account, live_server_url: str):
    """What a supervisor's switch in the admin does: webhook mode, and the worker (inline here) registers the
    account's webhook at the sandbox, which checks it with a CRC, and subscribes to its events."""
    from social import services
    from social.models import XAccount

    services.xaccount_set_mode(account_id=account.pk, mode=XAccount.Mode.WEBHOOK, public_url=live_server_url)
    account.refresh_from_db()
    return account.webhook
