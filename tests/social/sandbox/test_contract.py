"""The sandbox speaks X's wire format: each route's answer against X's documented (or recorded) examples."""

import pytest

from social.integrations.x_client import parse_dm_events, parse_media_upload, parse_tweets
from tests.social.conftest import png as small_png
from tests.social.sandbox.conftest import assert_same_keys, example, gif, png, shape

pytestmark = pytest.mark.django_db(transaction=True)
# Parts of X's DM example this sandbox does not produce (DMs that link tweets, user descriptions) or that
# X sends on a first page and the sandbox only when there is a newer page (previous_token).
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


def test_our_client_parses_x_documented_examples():
    events, users, rejected = parse_dm_events(example("dm_events_example.json"))
    assert [e.id for e in events][:1] == ["1585047616894574596"] and not rejected
    assert events[0].conversation_id == "944480690-906948460078698496" and users["944480690"].username == "FloodSocial"
    tweets, users, rejected = parse_tweets(example("mentions_example.json"))
    assert tweets[0].replied_to_id == "1375152449148964864" and tweets[0].in_reply_to_user_id == "2244994945"
    assert tweets[1].replied_to_id == "" and users["6253282"].name == "Twitter API"
    for name in ("one_shot", "initialize", "finalize", "status"):
        assert parse_media_upload(example(f"media_upload_{name}_example.json"))["id"].isdigit()
    assert parse_media_upload(example("media_upload_finalize_example.json"))["processing_info"]["state"] == "pending"


def test_users_me_and_ids_are_strings_beyond_2_53(people):
    brand, _, as_brand, _ = people
    response = as_brand.get("/2/users/me")
    assert response.json() == {"data": {"id": brand["id"], "name": "Acme Care", "username": "acmecare"}}
    assert shape(response.json()) == shape(example("users_me_example.json"))
    assert isinstance(brand["id"], str) and int(brand["id"]) > 2**53


def test_dm_events_match_the_documented_shape_and_page(simulator, people):
    brand, maya, as_brand, _ = people
    for n in range(12):
        simulator.dm(maya, brand["id"], f"hello {n}")
    fields = "id,text,event_type,dm_conversation_id,created_at,sender_id"
    first = as_brand.get("/2/dm_events", max_results=10, **{"dm_event.fields": fields, "expansions": "sender_id"})
    body = first.json()
    assert_same_keys(body, example("dm_events_example.json"), ignore=NOT_ASKED_FOR)
    assert [e["text"] for e in body["data"]][:2] == ["hello 11", "hello 10"]  # newest first
    low, high = sorted([brand["id"], maya["id"]], key=int)
    assert body["data"][0]["dm_conversation_id"] == f"{low}-{high}"
    assert body["includes"]["users"] == [{"id": maya["id"], "name": "Maya Patel", "username": "maya"}]
    assert set(body["meta"]) == {"result_count", "next_token"}  # no newest_id/oldest_id on DM timelines
    second = as_brand.get("/2/dm_events", max_results=10, pagination_token=body["meta"]["next_token"]).json()
    assert [e["text"] for e in second["data"]] == ["hello 1", "hello 0"] and "next_token" not in second["meta"]
    assert set(second["data"][0]) == {"id", "event_type", "text"}  # only the default fields unless asked
    back = as_brand.get("/2/dm_events", max_results=10, pagination_token=second["meta"]["previous_token"]).json()
    assert [e["text"] for e in back["data"]] == [f"hello {n}" for n in range(11, 1, -1)]


def test_dm_with_an_image_has_attachments_and_includes_media(simulator, people):
    brand, maya, as_brand, _ = people
    simulator.dm(maya, brand["id"], "Photo of the damage", image=small_png())
    body = as_brand.get(
        "/2/dm_events",
        **{
            "dm_event.fields": "id,text,event_type,dm_conversation_id,created_at,sender_id,attachments",
            "expansions": "sender_id,attachments.media_keys",
            "media.fields": "media_key,type,url,width,height,preview_image_url",
        },
    ).json()
    assert_same_keys(body, example("dm_events_with_media_example.json"))
    media = body["includes"]["media"][0]
    assert body["data"][0]["attachments"] == {"media_keys": [media["media_key"]]}
    assert (media["type"], media["width"], media["height"]) == ("photo", 40, 30)
    assert media["url"].startswith("http://127.0.0.1:")
    served = as_brand.get(media["url"].removeprefix(as_brand.base))  # with the OAuth header
    assert served.content == small_png()
    assert (served.headers["Content-Type"], served.headers["Content-Security-Policy"]) == ("image/png", "sandbox")


def test_conversation_events_match_the_recorded_answer(simulator, people):
    brand, maya, as_brand, _ = people
    simulator.dm(maya, brand["id"], "Testing 1")
    simulator.dm(maya, brand["id"], "Testing 2")
    body = as_brand.get(f"/2/dm_conversations/with/{maya['id']}/dm_events").json()
    assert_same_keys(
        body, example("dm_conversation_events_recorded.json"), ignore={"meta.next_token", "meta.previous_token"}
    )
    assert [e["text"] for e in body["data"]] == ["Testing 2", "Testing 1"]


def test_no_dm_events_is_meta_only(people):
    *_, as_maya = people
    assert as_maya.get("/2/dm_events").json() == {"meta": {"result_count": 0}}


def test_mentions_match_the_documented_shape(simulator, people):
    brand, maya, as_brand, _ = people
    root = simulator.tweet(maya, "@acmecare where is my bag?")
    simulator.tweet(maya, "@acmecare hello?", in_reply_to=root["id"])
    tweet_fields = "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets"
    body = as_brand.get(
        f"/2/users/{brand['id']}/mentions", **{"tweet.fields": tweet_fields, "expansions": "author_id"}
    ).json()
    assert_same_keys(body, example("mentions_example.json"), ignore={"meta.next_token"})
    assert body["data"][0]["referenced_tweets"] == [{"type": "replied_to", "id": root["id"]}]
    assert body["data"][0]["conversation_id"] == root["id"]


def test_writes_answer_like_x(people):
    brand, maya, as_brand, as_maya = people
    tweet = as_maya.post("/2/tweets", {"text": "@acmecare hi"})
    assert tweet.status_code == 201 and shape(tweet.json()) == shape(example("create_tweet_example.json"))
    like = as_brand.post(f"/2/users/{brand['id']}/likes", {"tweet_id": tweet.json()["data"]["id"]})
    assert like.json() == example("like_example.json")
    dm = as_brand.post(f"/2/dm_conversations/with/{maya['id']}/messages", {"text": "How can we help?"})
    assert dm.status_code == 201 and shape(dm.json()) == shape(example("create_dm_example.json"))
    again = as_maya.post("/2/tweets", {"text": "@acmecare hi"})
    assert again.status_code == 403 and again.json() == example("duplicate_content_example.json")


def test_errors_have_x_bodies(simulator, people, app_only):
    brand, maya, as_brand, _ = people
    assert as_brand.get(f"/2/users/{brand['id']}/mentions", max_results=0).json() == example(
        "invalid_request_example.json"
    )
    assert as_brand.get("/2/tweets", ids="1228393702244134912").json() == example("tweet_lookup_not_found_example.json")
    assert as_brand.get("/2/users/2244994946").json() == example("user_not_found_example.json")
    assert app_only.get("/2/dm_events").json() == example("unsupported_authentication_example.json")
    simulator.revoke(maya["id"])
    assert people[3].get("/2/users/me").json() == example("error_401_example.json")


def test_media_upload_answers_x_documented_shapes(people):
    *_, as_brand, _ = people
    one_shot = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    assert one_shot.status_code == 200
    assert_same_keys(one_shot.json(), example("media_upload_one_shot_example.json"))
    animation = gif()
    started = as_brand.post(
        "/2/media/upload/initialize",
        {"media_type": "image/gif", "total_bytes": len(animation), "media_category": "dm_gif"},
    )
    assert started.status_code == 200
    assert_same_keys(started.json(), example("media_upload_initialize_example.json"))
    media_id = started.json()["data"]["id"]
    appended = as_brand.post(
        f"/2/media/upload/{media_id}/append", files={"media": ("blob", animation)}, data={"segment_index": "0"}
    )
    assert appended.status_code == 200
    assert_same_keys(appended.json(), example("media_upload_append_example.json"))
    finished = as_brand.post(f"/2/media/upload/{media_id}/finalize")
    assert_same_keys(finished.json(), example("media_upload_finalize_example.json"))
    status = as_brand.get("/2/media/upload", command="STATUS", media_id=media_id)
    assert_same_keys(status.json(), example("media_upload_status_example.json"))
    retired = as_brand.post("/1.1/media/upload.json", files={"media": ("a.png", png())})
    assert retired.status_code == 410 and retired.json() == example("media_upload_retired_example.json")
