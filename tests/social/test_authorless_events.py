"""Events X sent without their author (tweets without `author_id`: X's default fields; DMs without a sender) are
kept as RejectedEvents that say so, on every way in: X's own example payloads, a poll over real HTTP, a webhook.
Never a contact with an empty X id: every such event used to be filed under that one made-up customer."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from contacts.models import ContactIdentity
from interactions.models import Message
from social import ingest, polling
from social.integrations.x_payloads import parse_tweet, parse_tweets
from social.models import IngestCursor, RejectedEvent
from tests.factories import XAccountFactory
from tests.social.deliveries import dm_delivery, post, post_delivery, post_json, webhook_account

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NO_AUTHOR = "tweet {} has no author_id: X sent it without the author field"


def example(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class CannedX:
    """Answers as X did, over real HTTP: a body per path (the query aside); a page asked for with a
    pagination_token is X's empty page, so a run of pages ends."""

    def __init__(self, bodies: dict[str, dict]):
        self.paths: list[str] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                canned.paths.append(url.path)
                if "pagination_token" in parse_qs(url.query):
                    status, body = 200, {"meta": {"result_count": 0}}
                elif url.path in bodies:
                    status, body = 200, bodies[url.path]
                else:
                    status, body = 404, {"title": "Not Found Error", "type": "about:blank", "status": 404}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_xs_documented_tweet_without_author_id_is_parsed_without_an_author_and_kept_rejected():
    # X's example answer to a lookup with tweet.fields=created_at,public_metrics,lang: no author_id in it.
    documented = example("tweet_default_fields_example.json")["data"]
    assert parse_tweet(documented).author_id == ""
    tweets, users, rejected = parse_tweets({"data": [documented]})
    account = XAccountFactory()
    result = ingest.ingest_tweets(account=account, tweets=tweets, users=users)
    assert (result.rejected, result.created, rejected) == (1, [], [])
    kept = RejectedEvent.objects.get()
    assert (kept.stream, kept.error, kept.payload["text"]) == (
        "mentions",
        NO_AUTHOR.format("1234567890"),
        "Hello world!",
    )
    assert not ContactIdentity.objects.exists()


def test_a_polled_page_of_ten_peoples_mentions_without_authors_stores_no_contact_and_says_why_for_each():
    # What tweepy recorded X sending for @Twitter's mentions with X's default fields: ten people, no author_id.
    recorded = example("mentions_default_fields_recorded.json")
    twitter = {"data": {"id": "783214", "name": "X", "username": "X"}}
    x = CannedX({"/2/users/me": twitter, "/2/dm_events": {"meta": {"result_count": 0}},
                 "/2/users/783214/mentions": recorded})  # fmt: skip
    try:
        account = XAccountFactory(x_user_id="783214", handle="X", api_base_url=x.url)
        report = polling.poll_account(account_id=account.pk)
    finally:
        x.close()
    assert (report.error, report.created, report.rejected) == ("", 0, 10)
    assert not ContactIdentity.objects.exists() and not Message.objects.exists()
    errors = sorted(RejectedEvent.objects.filter(stream="mentions").values_list("error", flat=True))
    assert errors == sorted(NO_AUTHOR.format(t["id"]) for t in recorded["data"])
    assert IngestCursor.objects.get(account=account, stream="mentions").since_id == recorded["meta"]["newest_id"]
    assert x.paths.count("/2/users/me") == 1  # whose credentials these are: asked once, before any timeline


def test_webhook_deliveries_whose_post_and_dm_name_no_author_store_no_contact():
    account = webhook_account()
    tweet = post_json("4100000000000000001", "@acme hello", author=None)  # no author_id, as X's default fields
    dm = dm_delivery()
    del dm["data"]["payload"]["direct_message_events"][0]["message_create"]["sender_id"]
    for delivery in (post_delivery(tweet, users=[]), dm):
        response = post(account, delivery)
        assert response.status_code == 200 and response.json() == {"stored": 0, "duplicates": 0, "rejected": 1}
    assert not ContactIdentity.objects.exists()
    assert sorted(RejectedEvent.objects.values_list("stream", "error")) == [
        ("mentions", NO_AUTHOR.format("4100000000000000001")),
        (
            "webhook_dm",
            "PayloadError: DM event 4000000000000000001 has no sender_id: X sent it without the sender field",
        ),
    ]
