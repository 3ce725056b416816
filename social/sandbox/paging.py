"""Timelines as X pages them: newest first, `max_results` per page, `since_id` / `until_id`, and opaque
`pagination_token`s (`meta.next_token` towards older items, `meta.previous_token` back towards newer ones).

Tweet and DM event ids are 19-digit snowflakes, so the database orders them as strings; ids given in a request
are zero-padded to that width before they are compared.
"""

import base64
import struct

from social.sandbox.errors import Problem

ID_WIDTH = 19


def _id_param(request, name: str) -> str:
    value = request.GET.get(name, "")
    if value and (not value.isdigit() or len(value) > ID_WIDTH):
        raise Problem.invalid(f"The `{name}` query parameter value [{value}] is not valid", name, value)
    return value.zfill(ID_WIDTH) if value else ""


def encode_token(direction: str, item_id: str) -> str:
    """An X-like token (24 base32hex characters) naming a direction ("n" older / "p" newer) and an id."""
    raw = struct.pack(">cQ6x", direction.encode(), int(item_id))
    return base64.b32hexencode(raw).decode()


def decode_token(token: str) -> tuple[str, str]:
    try:
        direction, item_id = struct.unpack(">cQ6x", base64.b32hexdecode(token.upper()))
        direction = direction.decode()
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise Problem.invalid(
            f"The `pagination_token` query parameter value [{token}] is not valid", "pagination_token", token
        ) from exc
    if direction not in ("n", "p"):
        raise Problem.invalid(
            f"The `pagination_token` query parameter value [{token}] is not valid", "pagination_token", token
        )
    return direction, str(item_id).zfill(ID_WIDTH)


def max_results(request, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get("max_results", str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem.invalid(
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}", "max_results", raw
        )
    return int(raw)


def page(request, queryset, *, default: int, low: int, high: int, token_param: str = "pagination_token"):
    """One page of `queryset` (tweets or DM events) for this request: (items newest first, meta)."""
    size = max_results(request, default=default, low=low, high=high)
    if since := _id_param(request, "since_id"):
        queryset = queryset.filter(pk__gt=since)
    if until := _id_param(request, "until_id"):
        queryset = queryset.filter(pk__lt=until)
    token = request.GET.get(token_param) or request.GET.get("pagination_token", "")
    direction, anchor = decode_token(token) if token else ("n", "")
    if direction == "p":
        items = list(queryset.filter(pk__gt=anchor).order_by("pk")[: size + 1])
        more_newer = len(items) > size
        items = items[:size][::-1]
        more_older = queryset.filter(pk__lt=items[-1].pk).exists() if items else False
    else:
        if anchor:
            queryset = queryset.filter(pk__lt=anchor)
        items = list(queryset.order_by("-pk")[: size + 1])
        more_older = len(items) > size
        items = items[:size]
        more_newer = bool(anchor) and bool(items)
    meta = {"result_count": len(items)}
    if items:
        meta["newest_id"], meta["oldest_id"] = items[0].pk, items[-1].pk
        if more_older:
            meta["next_token"] = encode_token("n", items[-1].pk)
        if more_newer:
            meta["previous_token"] = encode_token("p", items[0].pk)
    return items, meta
