"""python manage.py simulate_customers --rate N --duration S — realistic customer traffic through the sandbox.

Drives the customer simulator's JSON API over HTTP: new customers DM the brand (some with a photo), tweet at it,
reply to earlier tweets and to the brand's answers (branching threads), complain angrily, retweet. Bounded in
count (rate × duration events at most) and in time. A sandbox with DEBUG off wants X_SANDBOX_TOKEN, which it sends.
"""

import base64
import io
import math
import os
import random
import time

import requests
from django.conf import settings
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
    "Hola, ¿pueden ayudarme con la reserva {n}?",
    "Is there any way to add a bag to booking {n}?",
]
TWEETS = [
    "@{brand} flight {n} delayed again, this is the worst service ever, I want a refund",
    "@{brand} my order {n} never arrived 😡",
    "@{brand} love the new app update 👏 ({n})",
    "@{brand} is the website down? can't log in ({n})",
    "@{brand} still waiting for an answer on case {n}",
    "@{brand} 3 hours on hold. Ridiculous. #{n}",
]
REPLIES = [
    "@{brand} any update? ({n})",
    "@{brand} DM sent ({n})",
    "@{brand} that did not help at all ({n})",
    "@{brand} thank you! ({n})",
    "@{brand} same problem here ({n})",
]


def small_image(rng: random.Random) -> str:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), tuple(rng.randrange(256) for _ in range(3))).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


class Command(BaseCommand):
    help = "Sends realistic customer traffic (DMs, mentions, replies, retweets) to a brand through the X sandbox."

    def add_arguments(self, parser):
        port = os.environ.get("PERCH_PORT", "8000")
        parser.add_argument("--rate", type=float, default=1.0, help="Events per second (default 1).")
        parser.add_argument("--duration", type=float, default=30.0, help="Seconds to run (default 30).")
        parser.add_argument("--base-url", default=f"http://127.0.0.1:{port}/x-sandbox", help="The sandbox's URL.")
        parser.add_argument("--brand", default="", help="Brand @handle (default: the first X account).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable traffic.")

    def handle(self, *args, rate, duration, base_url, brand, seed, **options):
        if rate <= 0 or duration <= 0 or rate * duration > 100_000:
            raise CommandError("--rate and --duration must be positive and send at most 100,000 events.")
        self.rng = random.Random(seed)
        self.api = f"{base_url.rstrip('/')}/simulator/api"
        self.verbose = options.get("verbosity", 1) >= 1
        brands = self.call("GET", "brands")["brands"]
        target = next((b for b in brands if not brand or b["username"].lower() == brand.lstrip("@").lower()), None)
        if target is None:
            raise CommandError(f"No brand {brand or ''} in the sandbox; run seed_demo or connect an X account.")
        self.target, self.customers, self.tweets = target, [], []
        counts = {"dm": 0, "tweet": 0, "reply": 0, "retweet": 0, "error": 0}
        limit, deadline, interval = math.ceil(rate * duration), time.monotonic() + duration, 1.0 / rate
        for n in range(1, limit + 1):
            if time.monotonic() >= deadline:
                break
            started = time.monotonic()
            try:
                kind = self.step(n)
            except CommandError as exc:
                self.stderr.write(str(exc))
                kind = "error"
            counts[kind] += 1
            time.sleep(max(0.0, min(interval - (time.monotonic() - started), deadline - time.monotonic())))
        plural = {"dm": "DMs", "tweet": "tweets", "reply": "replies", "retweet": "retweets", "error": "errors"}
        summary = ", ".join(f"{count} {plural[kind]}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Sent to @{target['username']}: {summary}."))

    def step(self, n: int) -> str:
        """One customer event; returns its kind."""
        rng, brand = self.rng, self.target["username"]
        if not self.customers or rng.random() < 0.3:
            self.customers.append(self.new_customer(n))
        who, roll = rng.choice(self.customers), rng.random()
        if roll < 0.45:
            body = {"sender_id": who["id"], "recipient_id": self.target["id"], "text": rng.choice(DMS).format(n=n)}
            if rng.random() < 0.15:
                body["image_base64"] = small_image(rng)
            self.call("POST", "dm", body)
            self.say("DM", who, body["text"] + (" (+ photo)" if "image_base64" in body else ""))
            return "dm"
        if roll < 0.75 or not self.tweets:
            text = rng.choice(TWEETS).format(brand=brand, n=n)
            self.tweets.append(self.call("POST", "tweet", {"author_id": who["id"], "text": text})["id"])
            self.say("tweet", who, text)
            return "tweet"
        if roll < 0.93:
            parent = self.brand_answer_to(who) or rng.choice(self.tweets)
            text = rng.choice(REPLIES).format(brand=brand, n=n)
            body = {"author_id": who["id"], "text": text, "in_reply_to_tweet_id": parent}
            self.tweets.append(self.call("POST", "tweet", body)["id"])
            self.say("reply", who, text)
            return "reply"
        tweet_id = rng.choice(self.tweets)
        self.call("POST", "retweet", {"user_id": who["id"], "tweet_id": tweet_id})
        self.say("retweet", who, f"retweeted {tweet_id}", quoted=False)
        return "retweet"

    def new_customer(self, n: int) -> dict:
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        ascii_first = name.split()[0].lower().encode("ascii", "ignore").decode()[:8]
        return self.call(
            "POST", "users", {"username": f"{ascii_first or 'c'}{self.rng.randrange(100_000)}", "name": name}
        )

    def brand_answer_to(self, customer: dict) -> str:
        """Half the time, a reply goes to the brand's latest answer to this customer (a new branch)."""
        if self.rng.random() < 0.5:
            return ""
        replies = self.call("GET", f"activity?user_id={customer['id']}")["replies"]
        answers = [r["id"] for r in replies if r["author_id"] == self.target["id"]]
        return answers[-1] if answers else ""

    def say(self, kind: str, who: dict, text: str, *, quoted: bool = True) -> None:
        # One line per event; no ":" in it, so the summary line is the only "Sent to @brand: ..." to parse.
        if self.verbose:
            text = text.replace(":", " -")
            self.stdout.write(f"  {kind:<7} @{who['username']:<15} " + (f"“{text}”" if quoted else text))

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            headers = {"X-Sandbox-Token": settings.X_SANDBOX_TOKEN} if settings.X_SANDBOX_TOKEN else {}
            response = requests.request(method, f"{self.api}/{path}", json=body, headers=headers, timeout=10)
        except requests.RequestException as exc:
            raise CommandError(f"The sandbox at {self.api} is not reachable ({exc.__class__.__name__}).") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.status_code)
            except ValueError:
                detail = response.status_code
            raise CommandError(f"The sandbox refused {path} - {detail}")
        return response.json()
