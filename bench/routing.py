"""python -m bench.routing [QUEUED] [WORKERS] [SECONDS] — interactions routed per second on PostgreSQL.

QUEUED chat interactions (10,000) wait in the queue; 100 agents are Ready on chat with room for all of them. WORKERS
real Celery worker processes (3, prefork, one child each) run Perch's `interactions.route_queue` task (claim with SKIP
LOCKED, eligible agents locked while their load is counted, Offer, push after commit) as beat and events would,
kept fed through the broker; the bench counts offers until the queue is empty or SECONDS (90) have passed.
Baseline in the same run: a raw SQL loop in one process claiming queued rows of a bare table with SKIP LOCKED and
inserting an offer row for each.
"""

import os
import sys
import time

from bench._common import celery_workers, flush_redis, quiet_queue, report, setup_django, timer

AGENTS = 100
TARGET_RATE = 100  # interactions offered per second


def make_queue(queued: int, run: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contacts.models import Contact
    from interactions.models import Interaction
    from social.models import XAccount
    from workspace.agents.models import AgentProfile, ChannelPresence, Team

    # A long offer timeout: no offer expires (and requeues its interaction) while the benchmark runs.
    team = Team.objects.create(name=f"Routing bench {run}", offer_timeout_seconds=3600)
    account = XAccount.objects.create(
        name=f"Routing {run}", handle=f"routing{run}", x_user_id=str(1_820_000_000_000_000_000 + run),
        consumer_key="k", consumer_secret="s", access_token="t", access_token_secret="s", team=team,
    )  # fmt: skip
    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"bench-route-{run}-{i}", password="!") for i in range(AGENTS))
    profiles = AgentProfile.objects.bulk_create(
        AgentProfile(user=user, chat_capacity=queued // AGENTS + 1) for user in users
    )
    team.agents.add(*profiles)
    now = timezone.now()
    ChannelPresence.objects.bulk_create(ChannelPresence(agent=u, channel="chat", ready=True, since=now) for u in users)
    contacts = Contact.objects.bulk_create(Contact(display_name=f"Queued {i}") for i in range(queued))
    Interaction.objects.bulk_create(
        (Interaction(kind="chat", contact=c, x_account=account, thread_key=f"route-{run}-{i}", queued_at=now,
                     priority=i % 3, prioritised_at=now) for i, c in enumerate(contacts)),
        batch_size=2000,
    )  # fmt: skip
    return account


def raw_routing(queued: int) -> float:
    """The floor: claim a queued row with SKIP LOCKED, mark it offered, insert an offer — bare SQL, one process."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_queue (id serial PRIMARY KEY, state text, priority int,"
                       " queued_at timestamptz DEFAULT now())")  # fmt: skip
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_offer (id serial PRIMARY KEY, queue_id int, agent int)")
        cursor.execute("TRUNCATE bench_queue, bench_offer")
        cursor.execute(
            "INSERT INTO bench_queue (state, priority) SELECT 'queued', g %% 3 FROM generate_series(1, %s) g", [queued]
        )
        cursor.execute("CREATE INDEX IF NOT EXISTS bench_queue_state ON bench_queue (state, priority DESC, queued_at)")
    with timer() as took:
        for i in range(queued):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE bench_queue SET state = 'offered' WHERE id = (SELECT id FROM bench_queue WHERE state = "
                    "'queued' ORDER BY priority DESC, queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
                )
                (claimed,) = cursor.fetchone()
                cursor.execute("INSERT INTO bench_offer (queue_id, agent) VALUES (%s, %s)", [claimed, i % AGENTS])
    return queued / took["seconds"]


def profile_in_process(count: int = 100) -> None:
    """PERCH_BENCH_PROFILE=1: routes `count` interactions in this process under pyinstrument first."""
    from pyinstrument import Profiler

    from bench._common import RESULTS
    from interactions import routing

    profiler = Profiler(interval=0.001)
    profiler.start()
    routing.route_queue(limit=count)
    profiler.stop()
    (RESULTS / "routing.pyinstrument.txt").write_text(profiler.output_text(unicode=True))
    print("  profile: bench/results/routing.pyinstrument.txt")


def main(queued: int = 10_000, workers: int = 3, seconds: int = 90) -> None:
    setup_django()
    import redis
    from django.db import connection
    from django.db.models import Count

    from interactions.models import Interaction, InteractionState, Offer
    from interactions.tasks import route_queue

    flush_redis()
    quiet_queue()
    run = int(time.time()) % 100_000
    account = make_queue(queued, run)
    if os.environ.get("PERCH_BENCH_PROFILE") == "1":
        profile_in_process()
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    offers = Offer.objects.filter(interaction__x_account=account)
    with celery_workers(workers, concurrency=1):
        start = time.perf_counter()
        routed, samples = 0, []
        while routed < queued and time.perf_counter() - start < seconds:
            if broker.llen("celery") < workers:  # keep every worker busy, as beat and new events would
                for _ in range(workers):
                    route_queue.delay([])
            time.sleep(0.5)
            routed = offers.count()
            samples.append((round(time.perf_counter() - start, 1), routed))
        elapsed = time.perf_counter() - start
    flush_redis()  # the offers' expiry timers (an hour away) and any route_queue left: nothing consumes them now
    left = Interaction.objects.filter(x_account=account, state=InteractionState.QUEUED).count()
    overloaded = (
        Offer.objects.filter(interaction__x_account=account, state=Offer.State.OFFERED)
        .values("agent_id")
        .annotate(n=Count("id"))
        .filter(n__gt=queued // AGENTS + 1)
        .count()
    )
    twice = routed - offers.values("interaction_id").distinct().count()
    rate = routed / elapsed
    raw_rate = raw_routing(queued)
    ratio = raw_rate / rate
    ok = rate >= TARGET_RATE and not overloaded and not twice
    line = (
        f"routing: {rate:,.0f} interactions offered/s with {AGENTS} agents, {queued:,} queued, {workers} Celery "
        f"workers on {connection.vendor} = 1/{ratio:,.0f} of a raw SKIP LOCKED claim+insert loop ({raw_rate:,.0f}/s, "
        f"1 process); {routed:,} offered in {elapsed:,.0f} s, none twice, no agent over capacity "
        f"(target ≥ {TARGET_RATE}/s) — {'met' if ok else 'MISSED'}"
    )
    headers = ["path", "interactions", "seconds", "per second"]
    rows = [
        [f"Perch route_queue, {workers} workers", routed, elapsed, rate],
        ["raw SKIP LOCKED claim + insert, 1 process", queued, queued / raw_rate, raw_rate],
    ]
    report("routing", line, {"agents": AGENTS, "queued": queued, "workers": workers, "routed": routed,
                             "left_queued": left, "offered_twice": twice, "agents_over_capacity": overloaded,
                             "seconds": elapsed, "rate": rate, "raw_rate": raw_rate, "ratio": ratio,
                             "progress": samples, "target_met": ok}, (headers, rows))  # fmt: skip


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
