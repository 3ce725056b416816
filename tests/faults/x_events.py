"""X Activity API DM deliveries (one dm.received per event, as X sends them) and polled DM events, built for the
fault tests."""

import json
from datetime import UTC, datetime, timedelta

from social.integrations.x_client import DMEvent

BRAND = "1800000000000000700"
CUSTOMERS = [f"19000000000000007{n:02d}" for n in range(3)]
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def event(n: int) -> dict:
    """DM number n: customer n % 3, written n minutes after START, ids growing with time as X's do."""
    return {"id": str(4_100_000_000_000_000_000 + n), "sender": CUSTOMERS[n % 3], "text": f"line {n:03d}",
            "at": START + timedelta(minutes=n)}  # fmt: skip


def delivery(e: dict) -> bytes:
    """The dm.received delivery of one DM; X's retry of it carries the same event_uuid."""
    payload = {
        "data": {
            "event_uuid": f"-{e['id'][-18:]}",
            "filter": {"user_id": BRAND},
            "event_type": "dm.received",
            "payload": {
                "direct_message_events": [
                    {"type": "message_create", "id": e["id"], "created_timestamp": str(int(e["at"].timestamp() * 1000)),
                     "message_create": {"target": {"recipient_id": BRAND}, "sender_id": e["sender"],
                                        "message_data": {"text": e["text"], "entities": {}}}}
                ],
                "users": {c: {"data": {"id": c, "name": f"Customer {c[-2:]}", "username": f"cust{c[-2:]}"}}
                          for c in CUSTOMERS},
            },
        }
    }  # fmt: skip
    return json.dumps(payload).encode()


def polled(e: dict) -> DMEvent:
    return DMEvent(id=e["id"], event_type="MessageCreate", text=e["text"], sender_id=e["sender"],
                   conversation_id=f"{BRAND}-{e['sender']}", created_at=e["at"],
                   participant_ids=(e["sender"], BRAND))  # fmt: skip
