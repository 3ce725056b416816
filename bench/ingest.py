"""python -m bench.ingest [N] — X events through Perch's ingest vs a raw batched INSERT of the same rows.

Each page of 100 events goes through what polling does: normalise (parse X's JSON) → dedupe (unique constraint)
→ identify the contact → store the message → open or continue the interaction, one transaction per page.
The baseline inserts the same message rows with psycopg's executemany into a bare table, in the same run.
"""

import random
import sys
import time

from bench._common import profiler_if_asked, report, save_profile, setup_django, timer

PAGE = 100
TARGET_RATE = 2000
TARGET_RATIO = 50


def synthetic_pages(n: int, brand: str, run: int) -> list[dict]:
    """X API v2 shaped pages: 70 % DMs from 500 customers, 30 % mentions (some replies to earlier ones)."""
    rng = random.Random(run)
    base = 1_990_000_000_000_000_000 + run * 10_000_000
    customers = [str(1_950_000_000_000_000_000 + run * 1000 + i) for i in range(500)]
    dm_pages, tweet_pages, dms, tweets = [], [], [], []
    for i in range(n):
        who = rng.choice(customers)
        event_id = str(base + i)
        if rng.random() < 0.7:
            dms.append({
                "id": event_id, "event_type": "MessageCreate", "text": f"Order {i} has not arrived yet, any news?",
                "sender_id": who, "dm_conversation_id": f"{brand}-{who}", "created_at": "2026-11-24T10:00:00.000Z",
                "participant_ids": [brand, who],
            })  # fmt: skip
        else:
            parent = rng.choice(tweets)["id"] if tweets and rng.random() < 0.3 else None
            tweet = {"id": event_id, "text": f"@acme flight {i} delayed again", "author_id": who,
                     "conversation_id": event_id, "created_at": "2026-11-24T10:00:00.000Z"}  # fmt: skip
            if parent:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
            tweets.append(tweet)
    users = [{"id": c, "name": f"Customer {c[-4:]}", "username": f"cust{c[-6:]}"} for c in customers]
    for start in range(0, len(dms), PAGE):
        dm_pages.append({"data": dms[start : start + PAGE], "includes": {"users": users}})
    for start in range(0, len(tweets), PAGE):
        tweet_pages.append({"data": tweets[start : start + PAGE], "includes": {"users": users}})
    return dm_pages + [{"tweets": True, **p} for p in tweet_pages]


def run_perch(pages: list[dict], account) -> int:
    from django.db import transaction

    from social import ingest
    from social.integrations.x_client import parse_dm_events, parse_tweets

    stored = 0
    for page in pages:
        with transaction.atomic():
            if page.get("tweets"):
                tweets, users, _ = parse_tweets(page)
                stored += len(ingest.ingest_tweets(account=account, tweets=tweets, users=users).created)
            else:
                events, users, _ = parse_dm_events(page)
                stored += len(ingest.ingest_dm_events(account=account, events=events, users=users).created)
    return stored


def run_raw(pages: list[dict]) -> int:
    from django.db import connection

    rows = []
    for page in pages:
        for item in page["data"]:
            rows.append((item["id"], item["text"], item.get("sender_id") or item.get("author_id"), item["created_at"]))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_raw (external_id text PRIMARY KEY, text text, author text, "
            "created_at timestamptz)"
        )
        cursor.execute("TRUNCATE bench_raw")
        for start in range(0, len(rows), PAGE):
            cursor.executemany(
                "INSERT INTO bench_raw VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", rows[start : start + PAGE]
            )
    return len(rows)


def main(n: int = 5000) -> None:
    setup_django()
    from django.db import connection

    from social.models import XAccount

    run = int(time.time()) % 100_000
    brand = str(1_800_000_000_000_000_000 + run)
    account = XAccount.objects.create(
        name=f"Bench {run}", handle=f"bench{run}", x_user_id=brand, consumer_key="k", consumer_secret="s",
        access_token=f"{brand}-t", access_token_secret="s",
    )  # fmt: skip
    pages = synthetic_pages(n, brand, run)
    profiler = profiler_if_asked()
    with timer() as perch:
        stored = run_perch(pages, account)
    save_profile(profiler, "ingest")
    with timer() as raw:
        run_raw(pages)
    perch_rate, raw_rate = n / perch["seconds"], n / raw["seconds"]
    ratio = raw_rate / perch_rate
    ok = perch_rate >= TARGET_RATE and ratio <= TARGET_RATIO
    line = (
        f"ingest: {perch_rate:,.0f} ev/s = 1/{ratio:.0f} of raw INSERT ({raw_rate:,.0f} rows/s) "
        f"on {connection.vendor} (target ≥ {TARGET_RATE:,} ev/s, ≥ 1/{TARGET_RATIO}) — {'met' if ok else 'MISSED'}"
    )
    from workspace.celery import app as celery_app

    celery_app.control.purge()  # the routing tasks it queued: no worker consumes the benchmark's db
    rows = (["path", "events", "seconds", "events/s"],
            [["Perch ingest (normalise, dedupe, contact, message, interaction)", n, perch["seconds"], perch_rate],
             ["raw batched INSERT", n, raw["seconds"], raw_rate]])  # fmt: skip
    report("ingest", line, {"events": n, "stored": stored, "perch_rate": perch_rate, "raw_rate": raw_rate,
                            "ratio": ratio, "target_met": ok}, rows)  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
