"""python -m bench.pages [REPEAT] — the agent's hot pages with 10, 1,000 and 10,000 messages of history.

For each size: the workspace page with the interaction open, the Conversation partial (what a push refreshes) and
the Contact tab partial, each fetched REPEAT times through Django's full request handling (middleware, session,
auth, the view, templates) with the test client in this process. Server time p95 and the number of queries per
request; the query count must not grow with the history. The baseline is a bare Django view (same middleware)
answering the same bytes, in the same run.
"""

import sys
import time

from bench._common import quiet_queue, report, setup_django, spread

SIZES = (10, 1000, 10_000)
TARGET_P95_MS = 300  # at 1,000 messages: a conversation an agent really works


def make_history(size: int, run: int):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contacts.models import Contact, ContactIdentity
    from interactions.models import Interaction, InteractionState, Message
    from social.models import XAccount
    from workspace.agents.models import AgentProfile

    user = get_user_model().objects.create_user(username=f"bench-pages-{run}-{size}", first_name="Ada")
    AgentProfile.objects.create(user=user)
    x_user_id = str(1_700_000_000_000_000_000 + run * 100_000 + size)
    account = XAccount.objects.create(
        name=f"Pages {run}", handle=f"pages{run}{size}", x_user_id=x_user_id,
        consumer_key="k", consumer_secret="s", access_token="t", access_token_secret="s",
    )  # fmt: skip
    contact = Contact.objects.create(display_name=f"Customer with {size} messages", assigned_agent=user)
    identity = ContactIdentity.objects.create(contact=contact, channel="twitter", external_id=f"{run}{size}",
                                              handle=f"cust{run}{size}")  # fmt: skip
    # Five earlier conversations (the Contact tab's history) and the open one holding the messages.
    for i in range(5):
        Interaction.objects.create(kind="chat", contact=contact, x_account=account, agent=user, thread_key=f"old-{i}",
                                   state=InteractionState.DONE, done_at=timezone.now())  # fmt: skip
    interaction = Interaction.objects.create(kind="chat", contact=contact, x_account=account, agent=user,
                                             thread_key="open", state=InteractionState.ACTIVE,
                                             accepted_at=timezone.now())  # fmt: skip
    now = timezone.now()
    messages = []
    for i in range(size):
        inbound = i % 2 == 0
        messages.append(Message(
            interaction=interaction, x_account=account, kind="dm", created_at=now - timedelta(seconds=size - i),
            direction="in" if inbound else "out", delivery="" if inbound else "sent",
            author_identity=identity if inbound else None, author_agent=None if inbound else user,
            text=f"Message {i}: my parcel 4711 is late again, can you check where it is? 📦",
            external_id=f"{run}{size:05d}{i:06d}",
        ))  # fmt: skip
    Message.objects.bulk_create(messages, batch_size=2000)
    return user, interaction


def measure(client, url: str, repeat: int, **headers) -> tuple[list[float], list[int], bytes]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, body = [], [], b""
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, **headers)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
        body = response.content
    return times, queries, body


def main(repeat: int = 20) -> None:
    setup_django()
    from django.test import Client, override_settings
    from django.urls import reverse

    from bench import _urls

    quiet_queue()
    run = int(time.time()) % 100_000
    rows, figures = [], {}
    with override_settings(ROOT_URLCONF="bench._urls"):
        for size in SIZES:
            user, interaction = make_history(size, run)
            client = Client()
            client.force_login(user)
            pages = {
                "workspace page": (reverse("workspace:interaction", args=[interaction.pk]), {}),
                "Conversation partial": (
                    reverse("workspace:interaction_conversation", args=[interaction.pk]),
                    {"HTTP_HX_REQUEST": "true"},
                ),
                "Contact tab partial": (
                    reverse("workspace:contact_tab", args=[interaction.contact_id]),
                    {"HTTP_HX_REQUEST": "true"},
                ),
            }
            times_n = max(5, repeat if size <= 1000 else repeat // 2)
            for name, (url, headers) in pages.items():
                measure(client, url, 2, **headers)  # warm: templates compiled, connection open
                times, queries, body = measure(client, url, times_n, **headers)
                key = f"{size}-{name.split()[0].lower()}"
                _urls.BARE_BODIES[key] = body
                bare_times, _, _ = measure(client, f"/bench/bare/{key}/", times_n)
                perch, bare = spread(times), spread(bare_times)
                figures[f"{name} @ {size}"] = {"perch": perch, "bare": bare, "queries": max(queries),
                                               "bytes": len(body)}  # fmt: skip
                ratio = perch["p95_ms"] / max(bare["p95_ms"], 0.01)
                rows.append([name, size, max(queries), f"{len(body) / 1024:,.0f} KB", perch["p50_ms"],
                             perch["p95_ms"], bare["p95_ms"], f"{ratio:,.0f}x"])  # fmt: skip
    counts = {name: {figures[f"{name} @ {s}"]["queries"] for s in SIZES} for name in ("workspace page",
              "Conversation partial", "Contact tab partial")}  # fmt: skip
    flat = all(len(c) == 1 for c in counts.values())
    conv = figures["Conversation partial @ 1000"]
    ok = flat and conv["perch"]["p95_ms"] < TARGET_P95_MS
    line = (
        f"pages: Conversation partial p95 {conv['perch']['p95_ms']:,.0f} ms at 1,000 messages = "
        f"{conv['perch']['p95_ms'] / max(conv['bare']['p95_ms'], 0.01):,.0f}x a bare view with the same bytes "
        f"({conv['bare']['p95_ms']:,.1f} ms); queries per page "
        + ", ".join(
            f"{name.split()[0]} {'/'.join(str(figures[f'{name} @ {s}']['queries']) for s in SIZES)}" for name in counts
        )  # fmt: skip
        + f" at {'/'.join(f'{s:,}' for s in SIZES)} messages (target p95 < {TARGET_P95_MS} ms, queries flat)"
        f" — {'met' if ok else 'MISSED'}"
    )
    headers = ["page", "messages", "queries", "size", "p50 ms", "p95 ms", "bare p95 ms", "ratio"]
    report("pages", line, {"sizes": SIZES, "repeat": repeat, "pages": figures, "queries_flat": flat,
                           "target_met": ok}, (headers, rows))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
