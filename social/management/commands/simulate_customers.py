"""python manage.py simulate_customers --rate N --duration S — realistic customer traffic through the sandbox.

Drives the customer simulator's API over HTTP: new customers DM the brand (some with an image), tweet at it,
reply to earlier tweets (branching threads), complain angrily, retweet. Bounded in count and time.
"""

import base64
import io
import os
import random
import time

import requests
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

FIRST = ["Maya", "Tom", "Lucía", "Kenji", "Amara", "Ola", "Priya", "Jonas", "Zoë", "Mateo", "Aisha", "Liam"]
LAST = ["Patel", "Becker", "Gómez", "Sato", "Okafor", "Nowak", "Iyer", "Berg", "Martin", "Rossi", "Khan", "Byrne"]
DMS = [
    "Hi, my order {n} never arrived 😡",
    "Can I change my booking {n}?",
    "Where is my refund for {n}?",
    "Thanks for the quick help yesterday!",
    "My card was charged twice for order {n}",
    "Hola, ¿pueden ayudarme?",
]
TWEETS = [
    "@{brand} flight {n} delayed again, this is the worst service ever, I want a refund",
    "@{brand} love the new app update 👏",
    "@{brand} is the website down? can't log in",
    "@{brand} still waiting for an answer on case {n}",
    "@{brand} 3 hours on hold. Ridiculous.",
]
REPLIES = ["@{brand} any update?", "@{brand} DM sent", "@{brand} that did not help at all", "@{brand} thank you!"]


def small_image() -> str:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), tuple(random.randrange(256) for _ in range(3))).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


class Command(BaseCommand):
    help = "Sends realistic customer traffic (DMs, mentions, replies, retweets) to a brand through the X sandbox."

    def add_arguments(self, parser):
        port = os.environ.get("PERCH_PORT", "8000")
        parser.add_argument("--rate", type=float, default=1.0, help="Events per second (default 1).")
        parser.add_argument("--duration", type=float, default=30.0, help="Seconds to run (default 30).")
        parser.add_argument("--base-url", default=f"http://127.0.0.1:{port}/x-sandbox")
        parser.add_argument("--brand", default="", help="Brand @handle (default: the first X account).")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, rate, duration, base_url, brand, seed, **options):
        if rate <= 0 or duration <= 0 or rate * duration > 100_000:
            raise CommandError("--rate and --duration must be positive and send at most 100,000 events.")
        rng = random.Random(seed)
        self.api = f"{base_url.rstrip('/')}/simulator/api"
        brands = self.call("GET", "brands")["brands"]
        target = next((b for b in brands if not brand or b["username"] == brand.lstrip("@")), None)
        if target is None:
            raise CommandError(f"No brand {brand or ''} in the sandbox; run seed_demo or connect an X account.")
        customers, tweets, counts = [], [], {"dm": 0, "tweet": 0, "reply": 0, "retweet": 0, "error": 0}
        deadline, interval, n = time.monotonic() + duration, 1.0 / rate, 0
        while time.monotonic() < deadline:
            started, n = time.monotonic(), n + 1
            if not customers or rng.random() < 0.3:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                handle = f"{name.split()[0].lower()[:8]}{rng.randrange(10_000)}".encode("ascii", "ignore").decode()
                customers.append(self.call("POST", "users", {"username": handle or f"c{n}", "name": name}))
            who, roll = rng.choice(customers), rng.random()
            try:
                if roll < 0.45:
                    body = {"sender_id": who["id"], "recipient_id": target["id"], "text": rng.choice(DMS).format(n=n)}
                    if rng.random() < 0.15:
                        body["image_base64"] = small_image()
                    self.call("POST", "dm", body)
                    kind = "dm"
                elif roll < 0.75 or not tweets:
                    text = rng.choice(TWEETS).format(brand=target["username"], n=n)
                    text = text if str(n) in text else f"{text} ({n})"  # X refuses duplicate content
                    tweets.append(self.call("POST", "tweet", {"author_id": who["id"], "text": text})["id"])
                    kind = "tweet"
                elif roll < 0.93:
                    text = rng.choice(REPLIES).format(brand=target["username"]) + f" ({n})"
                    body = {"author_id": who["id"], "text": text, "in_reply_to_tweet_id": rng.choice(tweets)}
                    tweets.append(self.call("POST", "tweet", body)["id"])
                    kind = "reply"
                else:
                    self.call("POST", "retweet", {"user_id": who["id"], "tweet_id": rng.choice(tweets)})
                    kind = "retweet"
            except CommandError as exc:
                self.stderr.write(str(exc))
                kind = "error"
            counts[kind] += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        summary = ", ".join(f"{count} {kind}s" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Sent to @{target['username']}: {summary}."))

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            response = requests.request(method, f"{self.api}/{path}", json=body, timeout=10)
        except requests.RequestException as exc:
            raise CommandError(f"The sandbox at {self.api} is not reachable: {exc.__class__.__name__}.") from exc
        if response.status_code >= 400:
            raise CommandError(f"The sandbox refused {path}: {response.json().get('detail', response.status_code)}")
        return response.json()
