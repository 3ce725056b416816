"""What X charges for each call, as the sandbox bills it: X's pay-per-use table (social/prices.py, X's published
rates), reads per resource returned with the same resource free again the same UTC day, writes per request, only for
successful answers. Each answer says its price in `x-sandbox-cost-usd` (a header of the sandbox's own: X shows costs
in its console), and the sandbox keeps the sums per user, day, endpoint and price (SandboxCharge), so tests can hold
Perch's ledger against it. Written apart from Perch's social/costs.py on purpose: it reads its own tweets and DMs."""

import json
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from twitter_text import extract_urls

from social.prices import DEFAULT_PRICES
from social.sandbox.models import SandboxBilledResource, SandboxCharge, SandboxTweet, SandboxUser
from social.sandbox.selectors import MENTION

HEADER = "x-sandbox-cost-usd"
READS = {
    "mentions": ("post", "read.post"),
    "search": ("post", "read.post"),
    "tweet_lookup": ("post", "read.post"),
    "dm_events": ("dm_event", "read.dm_event"),
    "users_me": ("user", "read.user"),
    "users_lookup": ("user", "read.user"),
}
WRITES = {"dm_send": "write.dm", "like": "write.like", "unlike": "write.delete", "tweet_delete": "write.delete"}


def _price(name: str) -> Decimal:
    return Decimal(DEFAULT_PRICES[name][0]) if name in DEFAULT_PRICES else Decimal("0")


def _resource_ids(body: dict) -> list[str]:
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return list(dict.fromkeys(str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")))


def summoned(user: SandboxUser, parent: SandboxTweet | None) -> bool:
    """X's summoned rule: the answered post's author @mentioned the replier, or the post quotes one of its posts."""
    if parent is None:
        return False
    if user.username.lower() in {name.lower() for name in MENTION.findall(parent.text)}:
        return True
    return bool(parent.quoted_id) and SandboxTweet.objects.filter(pk=parent.quoted_id, author=user).exists()


def _post_price(user: SandboxUser, request) -> str:
    try:
        sent = json.loads(request.body or b"{}")
    except ValueError:
        sent = {}
    sent = sent if isinstance(sent, dict) else {}
    if extract_urls(str(sent.get("text") or "")):
        return "write.post_url"
    reply = sent.get("reply") if isinstance(sent.get("reply"), dict) else {}
    parent_id = str(reply.get("in_reply_to_tweet_id") or "")
    parent = SandboxTweet.objects.filter(pk=parent_id).first() if parent_id else None
    return "write.post_summoned" if summoned(user, parent) else "write.post"


def _fresh(user: SandboxUser, day, kind: str, ids: list[str]) -> int:
    """How many of the ids were not billed to the user today; marks them billed."""
    fresh = 0
    for resource_id in ids:
        try:
            with transaction.atomic():
                SandboxBilledResource.objects.create(user=user, day=day, kind=kind, resource_id=resource_id)
        except IntegrityError:
            continue
        fresh += 1
    return fresh


def charge(endpoint: str, user: SandboxUser | None, request, status: int, body: dict) -> Decimal:
    """Bills one answered call to its user (app-only calls bill nobody here); returns its price."""
    if user is None or not 200 <= status < 300:
        return Decimal("0")
    day = timezone.now().date()
    if endpoint in READS:
        kind, price = READS[endpoint]
        if endpoint == "mentions" and request.path.rstrip("/").endswith(f"/2/users/{user.pk}/mentions"):
            price = "read.owned"  # the user's own mentions: X's owned-read rate
        units = _fresh(user, day, kind, _resource_ids(body))
    elif endpoint == "tweet_create":
        price, units = _post_price(user, request), 1
    elif endpoint in WRITES:
        price, units = WRITES[endpoint], 1
    else:
        price, units = "not billed", 1
    amount = _price(price) * units
    lookup = {"user": user, "day": day, "endpoint": endpoint, "price": price}
    change = {"calls": F("calls") + 1, "units": F("units") + units, "amount": F("amount") + amount}
    if not SandboxCharge.objects.filter(**lookup).update(**change):
        try:
            with transaction.atomic():
                SandboxCharge.objects.create(**lookup, calls=1, units=units, amount=amount)
        except IntegrityError:
            SandboxCharge.objects.filter(**lookup).update(**change)
    return amount


def header_value(amount: Decimal) -> str:
    return f"{amount:.6f}".rstrip("0").rstrip(".") or "0"
