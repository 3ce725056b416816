"""The sandbox speaks X's wire format: each route against X's documented examples, over real HTTP."""

import io
import json
from pathlib import Path

import pytest
import requests
from PIL import Image

from social.integrations.x_client import parse_dm_events, parse_tweets

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Parts of X's DM example this request does not ask for (referenced tweets, descriptions, previous_token).
NOT_ASKED_FOR = {
    "data[].referenced_tweets",
    "data[].referenced_tweets[].id",
    "includes.tweets",
    "includes.tweets[].text",
    "includes.tweets[].id",
    "includes.tweets[].created_at",
    "includes.tweets[].author_id",
    "includes.tweets[].edit_history_tweet_ids",
    "includes.users[].description",
    "meta.previous_token",
}


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
    def keys(d, prefix=""):
        found = set()
        for key, value in d.items():
            found.add(prefix + key)
            if isinstance(value, dict):
                found |= keys(value, f"{prefix}{key}.")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                found |= keys(value[0], f"{prefix}{key}[].")
        return found

    missing = keys(documented) - keys(answer) - set(ignore)
    assert not missing, f"the sandbox answer lacks {sorted(missing)}"


class X:
    """Raw HTTP as a user of the sandbox (OAuth header present, signature not checked, as documented)."""

    def __init__(self, base, token):
        self.base, self.auth = base, {"Authorization": f'OAuth oauth_consumer_key="k", oauth_token="{token}"'}

    def get(self, path, **params):
        return requests.get(f"{self.base}{path}", params=params, headers=self.auth, timeout=10)

    def post(self, path, body=None, **kwargs):
        return requests.post(f"{self.base}{path}", json=body, headers=self.auth, timeout=10, **kwargs)


@pytest.fixture
def people(simulator):
    brand, maya = simulator.user("acmecare", "Acme Care"), simulator.user("maya", "Maya Patel")
    return brand, maya, X(simulator.base, brand["access_token"]), X(simulator.base, maya["access_token"])


def test_our_client_parses_x_documented_examples():
    events, users, rejected = parse_dm_events(example("dm_events_example.json"))
    assert [e.id for e in events][:1] == ["1585047616894574596"] and not rejected
    assert events[0].conversation_id == "944480690-906948460078698496" and users["944480690"].username == "FloodSocial"
    tweets, users, rejected = parse_tweets(example("mentions_example.json"))
    assert tweets[0].replied_to_id == "1375152449148964864" and tweets[0].in_reply_to_user_id == "2244994945"
    assert tweets[1].replied_to_id == "" and users["6253282"].name == "Twitter API"


def test_every_route_needs_an_oauth_header(simulator, people):
    brand, *_ = people
    for path in ("/2/users/me", "/2/dm_events", f"/2/users/{brand['id']}/mentions"):
        response = requests.get(f"{simulator.base}{path}", timeout=10)
        assert response.status_code == 401
        assert response.json() == {
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        }


def test_users_me_and_rate_limit_headers(people):
    brand, _, as_brand, _ = people
    response = as_brand.get("/2/users/me")
    assert response.json() == {"data": {"id": brand["id"], "name": "Acme Care", "username": "acmecare"}}
    assert shape(response.json()) == shape(example("users_me_example.json"))
    headers = response.headers
    assert int(headers["x-rate-limit-limit"]) >= 75 and int(headers["x-rate-limit-remaining"]) >= 0
    assert int(headers["x-rate-limit-reset"]) > 1_700_000_000
    assert int(brand["id"]) > 2**53 and isinstance(brand["id"], str)


def test_dm_events_match_the_documented_shape_and_page(simulator, people):
    brand, maya, as_brand, _ = people
    for n in range(12):
        simulator.dm(maya, brand["id"], f"hello {n}")
    fields = "id,text,event_type,dm_conversation_id,created_at,sender_id"
    first = as_brand.get(
        "/2/dm_events", max_results=10, **{"dm_event.fields": fields, "expansions": "sender_id"}
    ).json()
    assert_same_keys(first, example("dm_events_example.json"), ignore=NOT_ASKED_FOR)
    assert [e["text"] for e in first["data"]][:2] == ["hello 11", "hello 10"]  # newest first
    assert (
        first["data"][0]["dm_conversation_id"]
        == f"{min(brand['id'], maya['id'], key=int)}-{max(brand['id'], maya['id'], key=int)}"
    )
    second = as_brand.get("/2/dm_events", max_results=10, pagination_token=first["meta"]["next_token"]).json()
    assert [e["text"] for e in second["data"]] == ["hello 1", "hello 0"] and "next_token" not in second["meta"]
    assert set(second["data"][0]) == {"id", "event_type", "text"}  # only the default fields unless asked


def test_no_dm_events_is_meta_only(people):
    *_, as_maya = people
    assert as_maya.get("/2/dm_events").json() == {"meta": {"result_count": 0}}


def test_mentions_follow_since_id_expansions_and_bounds(simulator, people):
    brand, maya, as_brand, _ = people
    root = simulator.tweet(maya, "@acmecare where is my bag?")
    reply = simulator.tweet(maya, "@acmecare hello?", in_reply_to=root["id"])
    tweet_fields = "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets"
    body = as_brand.get(
        f"/2/users/{brand['id']}/mentions", **{"tweet.fields": tweet_fields, "expansions": "author_id"}
    ).json()
    assert_same_keys(body, example("mentions_example.json"), ignore={"meta.next_token"})
    assert body["data"][0]["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    assert body["data"][0]["conversation_id"] == root["id"]
    since = as_brand.get(f"/2/users/{brand['id']}/mentions", since_id=root["id"]).json()
    assert [t["id"] for t in since["data"]] == [reply["id"]]
    bad = as_brand.get(f"/2/users/{brand['id']}/mentions", max_results=500)
    assert bad.status_code == 400 and "max_results" in bad.json()["detail"]


def test_writes_answer_like_x(people):
    brand, maya, as_brand, as_maya = people
    tweet = as_maya.post("/2/tweets", {"text": "@acmecare hi"})
    assert tweet.status_code == 201 and shape(tweet.json()) == shape(example("create_tweet_example.json"))
    like = as_brand.post(f"/2/users/{brand['id']}/likes", {"tweet_id": tweet.json()["data"]["id"]})
    assert like.json() == example("like_example.json")
    assert as_brand.post(f"/2/users/{maya['id']}/likes", {"tweet_id": "1"}).status_code == 403  # not your account
    dm = as_brand.post(f"/2/dm_conversations/with/{maya['id']}/messages", {"text": "How can we help?"})
    assert dm.status_code == 201 and shape(dm.json()) == shape(example("create_dm_example.json"))
    again = as_maya.post("/2/tweets", {"text": "@acmecare hi"})
    assert again.status_code == 403
    assert again.json()["detail"] == "You are not allowed to create a Tweet with duplicate content."
    too_long = as_maya.post("/2/tweets", {"text": "x" * 281})
    assert too_long.status_code == 400 and "too long" in too_long.json()["detail"]


def test_media_upload_accepts_images_and_refuses_fakes(people):
    *_, as_brand, _ = people
    image = io.BytesIO()
    Image.new("RGB", (80, 32), (0, 128, 255)).save(image, "PNG")
    upload = as_brand.post(
        "/1.1/media/upload.json", files={"media": ("a.png", image.getvalue())}, data={"media_category": "dm_image"}
    )
    assert upload.status_code == 200
    body = upload.json()
    assert shape({k: body[k] for k in example("media_upload_example.json")}) == shape(
        example("media_upload_example.json")
    )
    assert body["image"] == {"image_type": "image/png", "w": 80, "h": 32}
    fake = as_brand.post("/1.1/media/upload.json", files={"media": ("a.png", b"not an image")})
    assert fake.status_code == 400 and fake.json()["errors"][0]["message"] == "media type unrecognized."


def test_limits_and_faults_answer_429_with_x_body_and_headers(simulator, people):
    *_, as_brand, _ = people
    simulator._post("limits", {"endpoint": "users_me", "limit": 2})
    assert [as_brand.get("/2/users/me").status_code for _ in range(3)] == [200, 200, 429]
    limited = as_brand.get("/2/users/me")
    assert limited.json() == example("error_429_example.json")
    assert limited.headers["x-rate-limit-remaining"] == "0" and int(limited.headers["x-rate-limit-reset"]) > 0
    simulator.fault(method="GET", path="/2/dm_events", status=503, times=1)
    assert as_brand.get("/2/dm_events").status_code == 503
    assert as_brand.get("/2/dm_events").status_code == 200
