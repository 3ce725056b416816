"""What each X route of the sandbox does: auth, fields and expansions, paging, lookups, writes and their refusals."""

import base64

import pytest
import requests

from tests.social.sandbox.conftest import png

pytestmark = pytest.mark.django_db(transaction=True)
OPEN_ROUTES = ["/2/users/me", "/2/dm_events", "/2/tweets/search/recent?query=hi", "/2/tweets?ids=1"]


@pytest.mark.parametrize("header", [None, "", "OAuth", 'OAuth oauth_token="nobody-sandbox"', "Basic abc", "Bearer "])
def test_a_missing_or_garbled_authorization_is_401(simulator, header):
    headers = {} if header is None else {"Authorization": header}
    for path in OPEN_ROUTES:
        response = requests.get(f"{simulator.base}{path}", headers=headers, timeout=10)
        assert response.status_code == 401, path
        assert response.json() == {
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        }


def test_unknown_and_revoked_tokens_are_401_and_a_new_token_works(simulator, people):
    brand, maya, as_brand, as_maya = people
    stranger = type(as_brand)(simulator.base, "1899999999999999999-sandbox")
    assert stranger.get("/2/users/me").status_code == 401
    simulator.revoke(maya["id"])
    assert as_maya.get("/2/users/me").status_code == 401
    fresh = simulator.user("maya", "Maya Patel", user_id=maya["id"], new_token=True)
    assert fresh["access_token"] != maya["access_token"]
    assert type(as_brand)(simulator.base, fresh["access_token"]).get("/2/users/me").status_code == 200
    assert as_maya.get("/2/users/me").status_code == 401  # the old token stays dead


def test_app_only_reads_but_cannot_act(people, app_only):
    brand, *_ = people
    assert app_only.get(f"/2/users/{brand['id']}").json()["data"]["username"] == "acmecare"
    assert app_only.get(f"/2/users/{brand['id']}/mentions").json() == {"meta": {"result_count": 0}}
    for response in (app_only.get("/2/users/me"), app_only.post("/2/tweets", {"text": "hi"})):
        assert response.status_code == 403 and response.json()["title"] == "Unsupported Authentication"


def test_acting_for_another_user_is_403(people):
    brand, maya, as_brand, as_maya = people
    tweet = as_maya.post("/2/tweets", {"text": "@acmecare hello"}).json()["data"]
    response = as_brand.post(f"/2/users/{maya['id']}/likes", {"tweet_id": tweet["id"]})
    assert response.status_code == 403 and response.json()["title"] == "Forbidden"
    assert as_brand.delete(f"/2/tweets/{tweet['id']}").status_code == 403  # not the author


def test_unknown_routes_and_methods(people):
    *_, as_brand, _ = people
    missing = as_brand.get("/2/spaces/nope")
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found Error"
    assert as_brand.get("/1.1/statuses/update.json").json()["errors"][0]["code"] == 34
    wrong = as_brand.post("/2/dm_events", {})
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


def test_user_lookup_fields(people, app_only):
    brand, *_ = people
    body = app_only.get(f"/2/users/{brand['id']}", **{"user.fields": "created_at,description,profile_image_url"})
    data = body.json()["data"]
    assert set(data) == {"id", "name", "username", "created_at", "description", "profile_image_url"}
    assert data["created_at"].endswith("Z") and data["profile_image_url"].startswith("http://")
    assert requests.get(data["profile_image_url"], timeout=10).headers["Content-Type"] == "image/svg+xml"
    by_name = app_only.get("/2/users/by/username/AcmeCare").json()
    assert by_name["data"]["id"] == brand["id"]
    unknown_field = app_only.get(f"/2/users/{brand['id']}", **{"user.fields": "shoe_size"})
    assert unknown_field.status_code == 400 and "shoe_size" in unknown_field.json()["errors"][0]["message"]


def test_mentions_cover_mentions_replies_and_retweets_with_paging_since_and_fields(simulator, people):
    brand, maya, as_brand, _ = people
    tom = simulator.user("tom", "Tom Becker")
    brand_post = simulator.tweet(brand, "Our new timetable is out")
    reply = simulator.tweet(tom, "finally!", in_reply_to=brand_post["id"])  # no @ but a reply to the brand
    simulator.tweet(maya, "@acmecare2 is someone else")  # a longer handle is not a mention
    ids = [simulator.tweet(maya, f"@AcmeCare message {n}")["id"] for n in range(6)]
    retweet = simulator.retweet(tom, ids[0])  # "RT @maya: @AcmeCare message 0" mentions the brand too
    path = f"/2/users/{brand['id']}/mentions"
    first = as_brand.get(path, max_results=5).json()
    assert [t["id"] for t in first["data"]] == [retweet["id"], *reversed(ids[2:])]
    assert set(first["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert first["meta"]["newest_id"] == retweet["id"] and first["meta"]["oldest_id"] == ids[2]
    second = as_brand.get(path, max_results=5, pagination_token=first["meta"]["next_token"]).json()
    assert [t["id"] for t in second["data"]] == [ids[1], ids[0], reply["id"]] and "next_token" not in second["meta"]
    since = as_brand.get(path, since_id=ids[4]).json()
    assert [t["id"] for t in since["data"]] == [retweet["id"], ids[5]]
    until = as_brand.get(path, until_id=ids[0]).json()
    assert [t["id"] for t in until["data"]] == [reply["id"]]
    full = as_brand.get(
        path,
        since_id=ids[5],
        **{
            "tweet.fields": "author_id,conversation_id,referenced_tweets,entities,created_at",
            "expansions": "author_id,referenced_tweets.id",
            "user.fields": "username",
        },
    ).json()
    assert full["data"][0]["referenced_tweets"] == [{"type": "retweeted", "id": ids[0]}]
    assert full["data"][0]["entities"]["mentions"][1] == {
        "start": 10,
        "end": 19,
        "username": "AcmeCare",
        "id": brand["id"],
    }
    assert full["includes"]["users"] == [{"id": tom["id"], "name": "Tom Becker", "username": "tom"}]
    assert full["includes"]["tweets"][0]["id"] == ids[0]
    for bad in ({"max_results": 4}, {"max_results": 101}, {"since_id": "abc"}, {"pagination_token": "zz"}):
        response = as_brand.get(path, **bad)
        assert response.status_code == 400 and response.json()["title"] == "Invalid Request", bad


def test_replies_thread_under_the_root(simulator, people):
    brand, maya, as_brand, as_maya = people
    root = simulator.tweet(maya, "@acmecare my order never arrived 😡")
    answer = as_brand.post(
        "/2/tweets", {"text": "@maya sorry! Which order?", "reply": {"in_reply_to_tweet_id": root["id"]}}
    )
    branch = simulator.tweet(maya, "@acmecare order 1234", in_reply_to=answer.json()["data"]["id"])
    fields = {"tweet.fields": "conversation_id,in_reply_to_user_id,referenced_tweets,author_id"}
    looked_up = as_maya.get("/2/tweets", ids=f"{answer.json()['data']['id']},{branch['id']}", **fields).json()["data"]
    assert [t["conversation_id"] for t in looked_up] == [root["id"], root["id"]]
    assert looked_up[0]["in_reply_to_user_id"] == maya["id"] and looked_up[1]["in_reply_to_user_id"] == brand["id"]
    assert looked_up[1]["referenced_tweets"] == [{"type": "replied_to", "id": answer.json()["data"]["id"]}]
    single = as_maya.get(f"/2/tweets/{root['id']}", **fields).json()
    assert single["data"]["conversation_id"] == root["id"] and "in_reply_to_user_id" not in single["data"]
    gone = as_brand.post("/2/tweets", {"text": "hello?", "reply": {"in_reply_to_tweet_id": "1"}})
    assert gone.status_code == 403


def test_lookup_reports_missing_and_deleted_tweets_as_errors(simulator, people):
    _, maya, as_brand, as_maya = people
    kept, dropped = simulator.tweet(maya, "kept"), simulator.tweet(maya, "dropped")
    assert as_maya.delete(f"/2/tweets/{dropped['id']}").json() == {"data": {"deleted": True}}
    body = as_brand.get("/2/tweets", ids=f"{kept['id']},{dropped['id']}").json()
    assert [t["id"] for t in body["data"]] == [kept["id"]]
    assert [e["resource_id"] for e in body["errors"]] == [dropped["id"]]
    single = as_brand.get(f"/2/tweets/{dropped['id']}").json()
    assert "data" not in single and single["errors"][0]["parameter"] == "id"
    assert as_maya.delete(f"/2/tweets/{dropped['id']}").status_code == 404


def test_search_recent(simulator, people):
    brand, maya, as_brand, _ = people
    tom = simulator.user("tom", "Tom Becker")
    hit = simulator.tweet(maya, "@acmecare my Refund is late")
    simulator.tweet(tom, "@acmecare refund please")
    simulator.tweet(maya, "no keyword here")
    simulator.retweet(tom, hit["id"])

    def ids(query):
        return [t["id"] for t in as_brand.get("/2/tweets/search/recent", query=query).json().get("data", [])]

    assert ids("refund late -is:retweet") == [hit["id"]] and len(ids("refund late")) == 2
    assert len(ids("refund")) == 3 and len(ids("refund -is:retweet")) == 2
    assert ids("from:maya refund") == [hit["id"]]
    assert len(ids("@acmecare -from:tom")) == 1
    assert ids('"is late" -is:retweet') == [hit["id"]] and ids('"late is"') == []
    assert as_brand.get("/2/tweets/search/recent", query="x", max_results=5).status_code == 400  # 10..100
    assert len(ids("late OR please")) == 3 and len(ids("(late OR please) -is:retweet")) == 2
    assert ids('(please OR "is late") from:maya') == [hit["id"]] and ids("refund -(is:retweet OR from:tom)") == [
        hit["id"]
    ]
    unbalanced = as_brand.get("/2/tweets/search/recent", query="(refund OR late")
    assert unbalanced.status_code == 400 and "parenthesis" in unbalanced.json()["errors"][0]["message"]


def test_tweet_length_is_counted_like_x(people):
    *_, as_maya = people
    assert as_maya.post("/2/tweets", {"text": "é" * 280}).status_code == 201
    assert as_maya.post("/2/tweets", {"text": "😡" * 140}).status_code == 201  # emoji weigh 2
    too_long = as_maya.post("/2/tweets", {"text": "😡" * 141})
    assert too_long.status_code == 400 and "too long" in too_long.json()["errors"][0]["message"]
    assert as_maya.post("/2/tweets", {"text": "  "}).status_code == 400


def test_likes_are_idempotent_and_undone(simulator, people):
    brand, maya, as_brand, _ = people
    tweet = simulator.tweet(maya, "@acmecare thanks!")
    for _ in range(2):
        assert as_brand.post(f"/2/users/{brand['id']}/likes", {"tweet_id": tweet["id"]}).json() == {
            "data": {"liked": True}
        }
    assert [lk["tweet_id"] for lk in simulator.activity(maya)["likes"]] == [tweet["id"]]
    assert as_brand.delete(f"/2/users/{brand['id']}/likes/{tweet['id']}").json() == {"data": {"liked": False}}
    assert simulator.activity(maya)["likes"] == []


def test_direct_messages_with_an_uploaded_image(simulator, people):
    brand, maya, as_brand, as_maya = people
    upload = as_brand.post("/2/media/upload", files={"media": ("a.png", png())}, data={"media_category": "dm_image"})
    media = upload.json()["data"]
    sent = as_brand.post(
        f"/2/dm_conversations/with/{maya['id']}/messages",
        {"text": "Here is your label", "attachments": [{"media_id": media["id"]}]},
    )
    assert sent.status_code == 201
    event = as_maya.get("/2/dm_events", **{"dm_event.fields": "attachments,sender_id,participant_ids"}).json()["data"][
        0
    ]
    assert event["id"] == sent.json()["data"]["dm_event_id"] and event["sender_id"] == brand["id"]
    assert event["attachments"]["media_keys"] == [media["media_key"]]
    assert sorted(event["participant_ids"]) == sorted([brand["id"], maya["id"]])
    image_only = as_maya.post(f"/2/dm_conversations/with/{brand['id']}/messages", {"text": ""})
    assert image_only.status_code == 400  # neither text nor attachment
    foreign_media = as_maya.post(
        f"/2/dm_conversations/with/{brand['id']}/messages",
        {"text": "x", "attachments": [{"media_id": media["id"]}]},
    )
    assert foreign_media.status_code == 400  # media belongs to the uploader
    assert as_brand.post("/2/dm_conversations/with/1234/messages", {"text": "hi"}).status_code == 400


def test_media_upload_checks(people):
    *_, as_brand, _ = people
    as_base64 = as_brand.post(
        "/2/media/upload", {"media": base64.b64encode(png()).decode(), "media_category": "tweet_image"}
    )
    assert as_base64.status_code == 200
    assert as_base64.json()["data"]["image"] == {"image_type": "image/png", "w": 80, "h": 32}
    assert isinstance(as_base64.json()["data"]["id"], str) and int(as_base64.json()["data"]["id"]) > 2**53
    big = as_brand.post(
        "/2/media/upload", files={"media": ("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024))},
        data={"media_category": "dm_image"},
    )  # fmt: skip
    assert big.status_code == 400 and big.json()["errors"][0]["message"] == "File size exceeds 5242880 bytes."
    assert as_brand.post("/2/media/upload", data={"media_category": "dm_image"}).status_code == 400
    unauthorised = requests.post(f"{as_brand.base}/2/media/upload", files={"media": ("a.png", png())}, timeout=10)
    assert unauthorised.status_code == 401 and unauthorised.json()["title"] == "Unauthorized"


def test_media_needs_the_oauth_header(simulator, people):
    brand, maya, as_brand, _ = people
    simulator.dm(maya, brand["id"], "see photo", image=png())
    key = simulator.activity(maya)["dms"][0]["media_keys"][0]
    assert requests.get(f"{simulator.base}/media/{key}", timeout=10).status_code == 401
    assert as_brand.get(f"/media/{key}").content == png()
    assert as_brand.get(f"/media/{key.removeprefix('3_')}").content == png()  # by media id too
