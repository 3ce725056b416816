"""What X charges for each call Perch makes, recorded per account, UTC day, endpoint and price (XSpend), and the
monthly cap that holds the optional calls.

Every call goes through XClient's `cost` hook (`record_call`), which prices it from the wire as X bills it: reads per
resource in the answer's `data` (the account's own mentions at X's owned-read rate), writes per request (a post with a
URL, a summoned reply, any other post, a DM, a like), only for answers X gave with success. Webhook events are priced
where their deliveries are stored (`record_webhook_event`).

The free re-read: X bills a resource once per UTC day. The ids read today are kept in Redis, one set per account, day
and kind of resource (SADD says atomically which ids are new, for any number of workers; the sets expire after two
days, so nothing grows). Redis rather than a table: a busy account reads thousands of posts a day, and a set costs
one round trip per page where a table costs an insert per post. When Redis cannot be reached the resource is charged
(the ledger may then say more than X bills, never less; X calls its own deduplication a soft guarantee too).
"""

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from twitter_text import extract_urls

from interactions.models import Message
from social.alerts import alert_supervisors
from social.models import XAccount, XSpend
from social.prices import event_price_name, price_table, usd
from workspace.infra.events import AccountSpendAlert

log = logging.getLogger(__name__)

WARN_AT = Decimal("0.8")
DEDUP_TTL_SECONDS = 2 * 86400
# Reads: endpoint → (kind of resource X bills, its price). The mentions of the account itself are owned reads.
READS = {
    "mentions": ("post", "read.post"),
    "search": ("post", "read.post"),
    "tweet_lookup": ("post", "read.post"),
    "dm_events": ("dm_event", "read.dm_event"),
    "users_me": ("user", "read.user"),
    "users_lookup": ("user", "read.user"),
}
WRITES = {"dm_send": "write.dm", "like": "write.like", "unlike": "write.delete", "tweet_delete": "write.delete"}
UNPRICED = "not billed"
# Which calls the cap holds, in the words the board uses.
OPTIONAL_CALLS = "keyword search and parent-tweet fetches"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@dataclass(frozen=True)
class Charge:
    endpoint: str
    price: str
    units: int = 0
    free_units: int = 0
    amount: Decimal = Decimal("0")


def utc_day(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


# --- Pricing a call ---------------------------------------------------------------------------------------
def _json(raw) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _ids(body: dict) -> list[str]:
    """The ids of the resources an answer returned (`data`, a list or one object); X bills those, not includes."""
    data = body.get("data")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return list(dict.fromkeys(str(item["id"]) for item in items if isinstance(item, dict) and item.get("id")))


def mentions_of(text: str, handle: str) -> bool:
    """Whether a tweet's text @mentions the handle (as a whole handle, any case)."""
    return bool(handle) and re.search(rf"(?<![\w@])@{re.escape(handle)}(?!\w)", text or "", re.IGNORECASE) is not None


def summoned(account: XAccount, tweet_id: str) -> bool:
    """X's summoned rule, as Perch marked the customer's tweet on arrival (social.access.summoned: it @mentions the
    account or quotes one of its posts)."""
    tweet = Message.objects.filter(x_account=account, kind=Message.Kind.TWEET, external_id=tweet_id).first()
    return tweet is not None and tweet.direction == Message.Direction.INBOUND and tweet.summoned


def post_price(account: XAccount, *, text: str, in_reply_to: str = "") -> str:
    """Which of X's post prices a post takes: with a URL $0.20 whatever it answers, a summoned reply $0.01, else the
    ordinary post. URLs are found as twitter-text finds them (example.com counts, like X's t.co wrapping)."""
    if extract_urls(text or ""):
        return "write.post_url"
    if in_reply_to and summoned(account, in_reply_to):
        return "write.post_summoned"
    return "write.post"


def price_call(account: XAccount, endpoint: str, *, path: str, request_body, response_body: dict) -> tuple:
    """(price name, kind of resource or "", resource ids or units) for one successful call."""
    if endpoint in READS:
        kind, price = READS[endpoint]
        if endpoint == "mentions" and path.rstrip("/").endswith(f"/2/users/{account.x_user_id}/mentions"):
            price = "read.owned"
        return price, kind, _ids(response_body)
    if endpoint == "tweet_create":
        sent = _json(request_body)
        reply = sent.get("reply") if isinstance(sent.get("reply"), dict) else {}
        price = post_price(
            account, text=str(sent.get("text") or ""), in_reply_to=str(reply.get("in_reply_to_tweet_id") or "")
        )
        return price, "", 1
    if endpoint in WRITES:
        return WRITES[endpoint], "", 1
    return UNPRICED, "", 1


def record_call(account: XAccount, endpoint: str, response) -> Charge | None:
    """XClient's cost hook: prices one successful call from its request and answer and adds it to the ledger. Never
    raises: the call was made, and what it cost is logged when it cannot be recorded."""
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    request = response.request
    path = urlparse(request.url or "").path
    try:
        price, kind, resources = price_call(
            account,
            endpoint,
            path=path,
            request_body=request.body,
            response_body=body if isinstance(body, dict) else {},
        )
        return _record(account, endpoint, price, kind, resources)
    except (OperationalError, InterfaceError):
        raise  # the database is gone: what follows the call cannot be stored either, and is done again (see _add)
    except Exception:  # noqa: BLE001  (a ledger that fails must never fail the X call it follows)
        log.exception("the cost of %s for account %s was not recorded", endpoint, account.pk)
        return None


def record_webhook_event(account: XAccount, event_type: str, resource_id: str = "") -> Charge | None:
    """Prices one X Activity API event delivered to the account (X's per-event table; the same resource's event again
    the same UTC day is free, as X deduplicates it). Call it where the delivery is stored, once per delivery."""
    price = event_price_name(event_type)
    try:
        resources = [resource_id] if resource_id else 1
        return _record(account, f"webhook {event_type}", price, f"event:{event_type}" if resource_id else "", resources)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001
        log.exception("the cost of a %s event for account %s was not recorded", event_type, account.pk)
        return None


def _billed_key(account: XAccount, day: date, kind: str) -> str:
    return f"perch:billed:{account.pk}:{day.isoformat()}:{kind}"


def _fresh(account: XAccount, day: date, kind: str, ids: list[str]) -> list[str]:
    """The ids not billed yet today (now marked billed)."""
    if not ids:
        return []
    key = _billed_key(account, day, kind)
    try:
        pipe = _redis().pipeline()
        for resource_id in ids:
            pipe.sadd(key, resource_id)
        pipe.expire(key, DEDUP_TTL_SECONDS)
        added = pipe.execute()[:-1]
        return [resource_id for resource_id, new in zip(ids, added, strict=True) if new]
    except redis.RedisError:
        log.warning("ids read today cannot be checked (Redis unreachable): account %s charged for all", account.pk)
        return list(ids)


def _unmark(account: XAccount, day: date, kind: str, ids: list[str]) -> None:
    """Forgets that the ids were billed today: their charge was not recorded, so the next read of them is."""
    if ids:
        try:
            _redis().srem(_billed_key(account, day, kind), *ids)
        except redis.RedisError:
            log.warning("ids of account %s stay marked billed (Redis unreachable): missed by the ledger", account.pk)


def _record(account: XAccount, endpoint: str, price: str, kind: str, resources) -> Charge:
    day = utc_day()
    fresh = _fresh(account, day, kind, resources) if kind else []
    units, free = (len(fresh), len(resources) - len(fresh)) if kind else (resources, 0)
    amount = price_table(account).get(price, Decimal("0")) * units
    charge = Charge(endpoint, price, units, free, amount)
    try:
        _add(account, day, charge)
    except (OperationalError, InterfaceError):
        _unmark(account, day, kind, fresh)
        raise
    if amount:
        check_cap(account)
    return charge


def _add(account: XAccount, day: date, charge: Charge) -> None:
    """Adds the charge to its ledger row (created by the first call of the day), in its own savepoint."""
    lookup = {"account_id": account.pk, "day": day, "endpoint": charge.endpoint[:40], "price": charge.price}
    change = {
        "calls": F("calls") + 1, "units": F("units") + charge.units, "free_units": F("free_units") + charge.free_units,
        "amount": F("amount") + charge.amount,
    }  # fmt: skip
    try:
        with transaction.atomic():
            if XSpend.objects.filter(**lookup).update(**change):
                return
            try:
                with transaction.atomic():
                    XSpend.objects.create(
                        **lookup, calls=1, units=charge.units, free_units=charge.free_units, amount=charge.amount
                    )
            except IntegrityError:  # another worker created it meanwhile
                XSpend.objects.filter(**lookup).update(**change)
    except (OperationalError, InterfaceError):
        log.exception("X spend of account %s not recorded (the database is unreachable): %s", account.pk, charge)
        raise
    except DatabaseError:
        log.exception("X spend of account %s not recorded: %s", account.pk, charge)


# --- The monthly cap --------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def month_spend(account: XAccount, *, now: datetime | None = None) -> Decimal:
    day = utc_day(now)
    total = XSpend.objects.filter(account=account, day__gte=month_start(day), day__lte=day).aggregate(s=Sum("amount"))
    return total["s"] or Decimal("0")


def cap_reached(account: XAccount, *, now: datetime | None = None) -> bool:
    cap = account.monthly_spend_cap
    return cap is not None and month_spend(account, now=now) >= cap


def optional_calls_held(account: XAccount, *, now: datetime | None = None) -> str:
    """Why the optional calls (keyword search, parent-tweet fetches) are held, or "" when they may go."""
    if not cap_reached(account, now=now):
        return ""
    return (
        f"The monthly X spend cap ({usd(account.monthly_spend_cap)}) is reached: {OPTIONAL_CALLS} are held until the "
        "month ends; DMs and replies keep flowing."
    )


def check_cap(account: XAccount, *, now: datetime | None = None) -> None:
    """Warns supervisors once a month at 80 % of the cap and once when it is reached (a conditional update: however
    many workers see the same total, one alert goes)."""
    cap = account.monthly_spend_cap
    if not cap:
        return
    spent = month_spend(account, now=now)
    level = 100 if spent >= cap else 80 if spent >= cap * WARN_AT else 0
    if not level:
        return
    month = utc_day(now).strftime("%Y-%m")
    already = [f"{month}:100"] + ([f"{month}:80"] if level == 80 else [])  # an alert as high was sent this month
    if (
        not XAccount.objects.filter(pk=account.pk)
        .exclude(spend_alerted__in=already)
        .update(spend_alerted=f"{month}:{level}")
    ):
        return
    if level == 100:
        message = f"{account} reached its monthly X spend cap ({usd(cap)}): {OPTIONAL_CALLS} are held."
    else:
        message = f"{account} has spent {usd(spent)} of its monthly X spend cap ({usd(cap)}): 80 % reached."
    alert_supervisors(AccountSpendAlert(account_id=account.pk, account=str(account), message=message, level=level))
