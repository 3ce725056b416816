"""python -m bench.send [N] — an agent's Send, and the outbox draining to X (the sandbox), vs bare tweepy.

1. Send → 200: N agent Sends (POST /workspace/interactions/<id>/send/ with htmx, as the composer does) through Django's
   full request handling with the test client in this process, spread over 10 active DM conversations: the outbox
   insert, the dispatch to the broker on commit and the re-rendered interaction.
2. Drain: the N queued rows sent one after the other by Perch's sender (social.sending.send: claim, budget, tweepy
   through x_client, mark sent, pushes) to the X sandbox on a live Daphne process, budgets out of the way (Perch's
   multiplied by 100,000, the sandbox's too).
Baseline in the same run: a bare tweepy loop posting the same number of DMs to the same sandbox route.
"""

import sys
import time

from bench._common import (
    daphne,
    flush_redis,
    profiler_if_asked,
    quiet_queue,
    report,
    save_profile,
    setup_django,
    spread,
    timer,
)

CONVERSATIONS = 10
TARGET_SEND_P95_MS = 300
TARGET_DRAIN_RATIO = 3  # our own: claim + mark sent (two commits, two pushes) around the same HTTP call


class _ToSandbox:
    """Points a bare tweepy client's session at the sandbox (tweepy hard-codes api.twitter.com)."""

    def __init__(self, base: str):
        from requests.adapters import HTTPAdapter

        class Rewrite(HTTPAdapter):
            def send(self, request, **kwargs):
                request.url = request.url.replace("https://api.twitter.com", base, 1)
                return super().send(request, **kwargs)

        self.adapter = Rewrite()


def bare_tweepy(base: str, token: str, customer_ids: list[str], n: int) -> float:
    import tweepy

    client = tweepy.Client(consumer_key="k", consumer_secret="s", access_token=token, access_token_secret="s")
    client.session.mount("https://api.twitter.com", _ToSandbox(base).adapter)
    with timer() as took:
        for i in range(n):
            client.create_direct_message(participant_id=customer_ids[i % len(customer_ids)], text=f"bare reply {i}")
    return took["seconds"]


def main(n: int = 200) -> None:
    setup_django()
    import requests
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from contacts.models import Contact, ContactIdentity
    from interactions.models import Interaction, Message
    from social import sending
    from social.ingest.threads import dm_thread_key
    from social.models import XAccount
    from workspace.agents.models import AgentProfile
    from workspace.celery import app as celery_app

    flush_redis()
    quiet_queue()
    run = int(time.time()) % 100_000
    with daphne() as (base, _):
        sandbox = f"{base}/x-sandbox"

        def sandbox_user(username: str) -> dict:
            response = requests.post(f"{sandbox}/simulator/api/users", json={"username": username}, timeout=10)
            assert response.status_code in (200, 201), response.text
            return response.json()

        brand = sandbox_user(f"sendbrand{run}")
        customers = [sandbox_user(f"sendcust{run}x{i}") for i in range(CONVERSATIONS)]
        account = XAccount.objects.create(
            name=f"Send {run}", handle=brand["username"], x_user_id=brand["id"], consumer_key="k",
            consumer_secret="s", access_token=brand["access_token"], access_token_secret="s", api_base_url=sandbox,
            budget_overrides={"multiplier": 100_000},
        )  # fmt: skip
        agent = get_user_model().objects.create_user(username=f"bench-send-{run}", first_name="Sam")
        AgentProfile.objects.create(user=agent)
        interactions = []
        for customer in customers:
            contact = Contact.objects.create(display_name=customer["username"])
            ContactIdentity.objects.create(contact=contact, channel="twitter", external_id=customer["id"],
                                           handle=customer["username"])  # fmt: skip
            interactions.append(Interaction.objects.create(
                kind="chat", contact=contact, x_account=account, agent=agent, state="active",
                thread_key=dm_thread_key(brand["id"], customer["id"]), accepted_at=timezone.now(),
            ))  # fmt: skip
        client = Client()
        client.force_login(agent)
        send_times = []
        profiler = profiler_if_asked()
        for i in range(n + 5):  # five to warm up
            interaction = interactions[i % CONVERSATIONS]
            start = time.perf_counter()
            response = client.post(
                f"/workspace/interactions/{interaction.pk}/send/",
                {"text": f"Thanks, we are on it ({i})", "idempotency_key": f"bench-{run}-{i}"},
                headers={"HX-Request": "true"},
            )
            if i >= 5:
                send_times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content[:500]
        save_profile(profiler, "send-view")
        celery_app.control.purge()  # the dispatches the Sends queued: this process drains the outbox itself
        queued = list(
            Message.objects.filter(x_account=account, delivery=Message.Delivery.QUEUED).values_list("pk", flat=True)
        )
        profiler = profiler_if_asked()
        with timer() as drain:
            outcomes = [sending.send(message_id=message_id) for message_id in queued]
        save_profile(profiler, "send-drain")
        sent = outcomes.count(sending.Outcome.SENT)
        raw_seconds = bare_tweepy(sandbox, brand["access_token"], [c["id"] for c in customers], len(queued))
    flush_redis()
    send = spread(send_times)
    drain_rate, raw_rate = len(queued) / drain["seconds"], len(queued) / raw_seconds
    ratio = raw_rate / drain_rate
    ok = send["p95_ms"] < TARGET_SEND_P95_MS and ratio <= TARGET_DRAIN_RATIO and sent == len(queued)
    line = (
        f"send: Send → 200 p95 {send['p95_ms']:,.0f} ms (p50 {send['p50_ms']:,.0f}); outbox drains "
        f"{drain_rate:,.1f} DMs/s = 1/{ratio:,.1f} of a bare tweepy loop ({raw_rate:,.1f} DMs/s) to the same sandbox "
        f"route; {sent}/{len(queued)} sent (target p95 < {TARGET_SEND_P95_MS} ms, ≥ 1/{TARGET_DRAIN_RATIO}) — "
        f"{'met' if ok else 'MISSED'}"
    )
    headers = ["measure", "n", "p50 ms", "p95 ms", "p99 ms", "per second"]
    rows = [
        ["agent Send → 200 (outbox insert, view)", send["n"], send["p50_ms"], send["p95_ms"], send["p99_ms"],
         send["n"] / sum(send_times)],
        ["outbox drain (social.sending.send)", len(queued), "", "", "", drain_rate],
        ["bare tweepy create_direct_message loop", len(queued), "", "", "", raw_rate],
    ]  # fmt: skip
    report("send", line, {"sends": n, "send": send, "drained": len(queued), "sent": sent, "drain_rate": drain_rate,
                          "raw_tweepy_rate": raw_rate, "ratio": ratio, "target_met": ok}, (headers, rows))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
