"""The customer simulator's JSON API: acting as X users and controlling the sandbox, with clear 400s."""

import base64

import pytest
import requests

from social.sandbox.models import SandboxUser
from social.sandbox.services import sandbox_user_ensure
from tests.factories import XAccountFactory
from tests.social.sandbox.conftest import X, png

pytestmark = pytest.mark.django_db(transaction=True)


def call(simulator, method: str, path: str, body=None, **params):
    return requests.request(method, f"{simulator.api}/{path}", json=body, params=params, timeout=10)


def test_users_are_created_or_got_and_keep_given_ids(simulator):
    maya = call(simulator, "POST", "users", {"username": "@maya", "name": "Maya Patel"}).json()
    assert set(maya) == {"id", "username", "name", "access_token", "tier", "accepts_dms"}
    assert (maya["tier"], maya["accepts_dms"]) == ("enterprise", True)  # the sandbox allows everything by default
    assert maya["access_token"] == f"{maya['id']}-sandbox" and int(maya["id"]) > 2**53
    assert call(simulator, "POST", "users", {"username": "MAYA", "name": "Other"}).json()["id"] == maya["id"]
    given = call(simulator, "POST", "users", {"username": "brand", "name": "Brand", "id": "1790000000000000001"}).json()
    assert given["id"] == "1790000000000000001"
    listed = call(simulator, "GET", "users").json()["users"]
    assert [u["username"] for u in listed] == ["brand", "maya"]
    for bad in (
        {"name": "No username"},
        {"username": "has space"},
        {"username": "x" * 16},
        {"username": "a", "id": "x1"},
    ):
        response = call(simulator, "POST", "users", bad)
        assert response.status_code == 400 and response.json()["detail"], bad


def test_sandbox_user_ensure_is_idempotent_and_the_id_wins():
    first = sandbox_user_ensure(user_id="1790000000000000001", username="perchdemoair", name="Perch Demo Air")
    again = sandbox_user_ensure(user_id="1790000000000000001", username="perchdemoair", name="Perch Demo Air")
    assert first.pk == again.pk and SandboxUser.objects.count() == 1
    squatter = SandboxUser.objects.create(id="1800000000000000002", username="newhandle", name="Squatter")
    moved = sandbox_user_ensure(user_id="1790000000000000001", username="newhandle", name="Perch Demo Air")
    squatter.refresh_from_db()
    assert moved.username == "newhandle" and squatter.username != "newhandle"


def test_dm_tweet_reply_retweet_and_activity(simulator):
    brand, maya = simulator.user("acmecare", "Acme Care"), simulator.user("maya", "Maya Patel")
    dm = call(simulator, "POST", "dm", {"sender_id": maya["id"], "recipient_id": brand["id"], "text": "Hi",
                                        "image_base64": base64.b64encode(png()).decode()}).json()  # fmt: skip
    assert set(dm) == {"dm_event_id", "dm_conversation_id"}
    root = simulator.tweet(maya, "@acmecare where is my bag?")
    assert root["conversation_id"] == root["id"] and root["author_id"] == maya["id"]
    assert root["edit_history_tweet_ids"] == [root["id"]] and root["created_at"].endswith("Z")
    answer = simulator.tweet(brand, "@maya looking into it", in_reply_to=root["id"])
    assert answer["conversation_id"] == root["id"] and answer["in_reply_to_user_id"] == maya["id"]
    assert answer["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    quote = call(
        simulator, "POST", "tweet", {"author_id": maya["id"], "text": "see this", "quote_tweet_id": answer["id"]}
    )
    assert quote.json()["referenced_tweets"] == [{"type": "quoted", "id": answer["id"]}]
    retweet = simulator.retweet(maya, answer["id"])
    assert retweet["text"] == "RT @acmecare: @maya looking into it"
    assert retweet["referenced_tweets"] == [{"type": "retweeted", "id": answer["id"]}]
    assert simulator.retweet(maya, answer["id"])["id"] == retweet["id"]  # once, as on X
    X(simulator.base, brand["access_token"]).post(f"/2/users/{brand['id']}/likes", {"tweet_id": root["id"]})

    activity = simulator.activity(maya)
    assert [d["id"] for d in activity["dms"]] == [dm["dm_event_id"]] and activity["dms"][0]["media_keys"]
    assert [t["id"] for t in activity["tweets"]] == [root["id"], quote.json()["id"], retweet["id"]]
    assert [t["id"] for t in activity["replies"]] == [answer["id"]]
    assert activity["likes"] == [
        {"tweet_id": root["id"], "user_id": brand["id"], "created_at": activity["likes"][0]["created_at"]}
    ]
    image = requests.get(f"{simulator.base}/simulator/media/{activity['dms'][0]['media_keys'][0]}", timeout=10)
    assert image.content == png()


def test_clear_errors(simulator):
    maya = simulator.user("maya", "Maya Patel")
    cases = [
        ("POST", "dm", {"sender_id": maya["id"], "recipient_id": "404", "text": "hi"}, "no sandbox user"),
        ("POST", "dm", {"sender_id": maya["id"], "text": "hi"}, "recipient_id"),
        ("POST", "dm", {"sender_id": maya["id"], "recipient_id": maya["id"], "text": "me"}, "yourself"),
        ("POST", "dm", {"sender_id": maya["id"], "recipient_id": maya["id"], "image_base64": "%%"}, "base64"),
        ("POST", "tweet", {"author_id": maya["id"], "text": "x" * 300}, "too long"),
        ("POST", "retweet", {"user_id": maya["id"], "tweet_id": "1"}, "deleted or not visible"),
        ("POST", "faults", {"path": "/2/dm_events", "status": 302}, "status"),  # 200 means garbled JSON
        ("POST", "faults", {"path": "dm_events"}, "path"),
        ("POST", "limits", {"endpoint": "nope", "limit": 1}, "Unknown endpoint"),
        ("POST", "limits", {"endpoint": "dm_events", "limit": "many"}, "invalid value"),
        ("GET", "activity", None, "user_id"),
        ("GET", "reset", None, "POST"),
    ]
    for method, path, body, words in cases:
        response = call(simulator, method, path, body)
        assert response.status_code in (400, 403, 405), (path, body, response.text)
        assert words.lower() in response.json()["detail"].lower(), (path, body, response.json())
    broken = requests.post(f"{simulator.api}/dm", data="{", headers={"Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and broken.json() == {"detail": "The body must be JSON."}


def test_limits_revoke_and_reset(simulator):
    maya = simulator.user("maya", "Maya Patel")
    as_maya = X(simulator.base, maya["access_token"])
    assert call(simulator, "POST", "limits", {"endpoint": "users_me", "limit": 1, "window_seconds": 60}).ok
    assert call(simulator, "GET", "limits").json()["overrides"][0]["limit"] == 1
    assert [as_maya.get("/2/users/me").status_code for _ in range(2)] == [200, 429]
    assert call(simulator, "POST", "revoke", {"user_id": maya["id"]}).json() == {"revoked": maya["id"]}
    assert as_maya.get("/2/dm_events").status_code == 401
    assert call(simulator, "POST", "reset", {}).json() == {"reset": True}
    assert call(simulator, "GET", "users").json() == {"users": []}
    assert call(simulator, "GET", "limits").json()["overrides"] == []


def test_brands_are_the_x_accounts_perch_answers_from(simulator):
    XAccountFactory(x_user_id="1790000000000000001", handle="perchdemoair", name="Perch Demo Air")
    brands = call(simulator, "GET", "brands").json()["brands"]
    assert [(b["id"], b["username"]) for b in brands] == [("1790000000000000001", "perchdemoair")]


def test_the_page_renders(simulator):
    page = requests.get(f"{simulator.base}/simulator/", timeout=10)
    assert page.status_code == 200 and '<meta charset="utf-8">' in page.text
    assert "sandbox/simulator.js" in page.text and "sandbox/simulator.css" in page.text
