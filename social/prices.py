"""X's published pay-per-use prices, in one place: what each X call Perch makes costs.

Source: X's pricing page (docs.x.com, x-api/getting-started/pricing.mdx) and its changelog entry of 2026-04-16,
"X API pricing update: Owned Reads now $0.001 …", whose rates are effective 2026-04-20 (the page itself carries no
date; its webhook table already lists the mute and block events of 2026-07-21). Reads are charged per resource
returned, writes per request; a resource read again within the same UTC day is free (X: "deduplicated within a
24-hour UTC day window"); failed requests are not billed. X says its console has the current rates: an account's
`price_overrides` (admin) replaces any of them, e.g. {"write.post_url": "0.25"}.

Not in X's table, so priced at $0 here: media upload (X prices only "Media Metadata"), the webhook and subscription
routes, and the XAA events the table does not list (post.mention.create, post.reply.create, oauth.revoke).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

SOURCE = "X API pay-per-use pricing (docs.x.com/x-api/getting-started/pricing), rates effective 2026-04-20"
EFFECTIVE = dt.date(2026, 4, 20)

# name → (US dollars, what X's table calls it). Reads are per resource, writes per request, events per event.
DEFAULT_PRICES: dict[str, tuple[str, str]] = {
    "read.post": ("0.005", "Posts: Read, per post"),
    "read.user": ("0.010", "User: Read, per user"),
    "read.dm_event": ("0.010", "DM Event: Read, per event"),
    "read.owned": ("0.001", "Owned Reads (the account's own mentions, posts, likes …), per post"),
    "write.post": ("0.015", "Post: Create"),
    "write.post_url": ("0.200", "Post: Create (with URL)"),
    "write.post_summoned": ("0.010", "Post: Create (summoned)"),
    "write.dm": ("0.015", "DM Interaction: Create"),
    "write.like": ("0.015", "User Interaction: Create (a like)"),
    "write.delete": ("0.010", "Interaction: Delete"),
    "event.post.create": ("0.005", "post.create event"),
    "event.follow.follow": ("0.010", "follow.follow event"),
    "event.follow.unfollow": ("0.010", "follow.unfollow event"),
    "event.mute.mute": ("0.001", "mute.mute event"),
    "event.mute.unmute": ("0.001", "mute.unmute event"),
    "event.block.block": ("0.001", "block.block event"),
    "event.block.unblock": ("0.001", "block.unblock event"),
    "event.profile.update": ("0.005", "profile.update.* event"),
    "event.chat.received": ("0.010", "chat.received event"),
    "event.dm.received": ("0.010", "dm.received event"),
    "event.news.new": ("0.005", "news.new event"),
    "event.spaces.start": ("0.005", "spaces.start event"),
    "event.spaces.end": ("0.005", "spaces.end event"),
    # Listed by X as "Not billed": post.delete, chat.sent, chat.conversation_join, dm.sent, dm.read,
    # dm.indicate_typing. Unlisted ones cost nothing either (price_of answers 0 for any unknown name).
}
FREE = Decimal("0")


class PriceOverrideError(ValueError):
    """An account's price_overrides that cannot be read; the message says which entry and why."""


def parse_overrides(overrides) -> dict[str, Decimal]:
    """The account's overrides as prices, refusing in words what is not a price of a known name."""
    if not overrides:
        return {}
    if not isinstance(overrides, dict):
        raise PriceOverrideError('Write the overrides as a JSON object, e.g. {"write.post_url": "0.25"}.')
    parsed = {}
    for name, value in overrides.items():
        if name not in DEFAULT_PRICES:
            raise PriceOverrideError(f"{name!r} is not one of X's prices: use one of {', '.join(DEFAULT_PRICES)}.")
        try:
            price = Decimal(str(value))
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0 or price > 100:
            raise PriceOverrideError(f"The price of {name} must be a number of dollars from 0 to 100, not {value!r}.")
        parsed[name] = price
    return parsed


def price_table(account=None) -> dict[str, Decimal]:
    """Every price in dollars for an account: X's, with the account's overrides (unreadable ones are ignored: the
    admin refuses them on save)."""
    table = {name: Decimal(usd) for name, (usd, _) in DEFAULT_PRICES.items()}
    try:
        table.update(parse_overrides(getattr(account, "price_overrides", None)))
    except PriceOverrideError:
        pass
    return table


def price_of(name: str, account=None) -> Decimal:
    return price_table(account).get(name, FREE)


def event_price_name(event_type: str) -> str:
    """The price of an XAA event type: profile.update.bio and the other profile updates share one."""
    return "event.profile.update" if event_type.startswith("profile.update.") else f"event.{event_type}"


def usd(amount: Decimal) -> str:
    """$0.20, $0.015, $12.34: at least cents, never a trailing zero past them."""
    text = f"{Decimal(amount):.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"
