"""What every sandbox API route does around its work, as X does: OAuth header required, injected faults,
rate limits counted per user (or app) and endpoint with x-rate-limit-* headers, Problem JSON errors."""

import json
import re
import time
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from social.sandbox.models import SandboxFault, SandboxLimit, SandboxRateWindow, SandboxUser

# X's documented per-user limits (15-minute windows unless said otherwise), scaled for the demo.
LIMITS = {
    "users_me": (75, 900),
    "users_lookup": (900, 900),
    "mentions": (300, 900),
    "tweet_lookup": (900, 900),
    "search": (300, 900),
    "dm_events": (15, 900),
    "dm_send": (15, 900),
    "tweet_create": (100, 900),
    "tweet_delete": (50, 900),
    "like": (50, 900),
    "media_upload": (500, 900),
}
TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found Error",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
TYPES = {
    400: "https://api.twitter.com/2/problems/invalid-request",
    404: "https://api.twitter.com/2/problems/resource-not-found",
}
OAUTH_TOKEN = re.compile(r'oauth_token="([^"]+)"')


class Problem(Exception):
    def __init__(self, status: int, detail: str = "", extra: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail or TITLES.get(status, "Error"), extra or {}


def problem_response(status: int, detail: str = "", extra: dict | None = None) -> JsonResponse:
    body = {
        "title": TITLES.get(status, "Error"),
        "type": TYPES.get(status, "about:blank"),
        "status": status,
        "detail": detail or TITLES.get(status, "Error"),
        **(extra or {}),
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


def acting_user(request, *, app_allowed: bool) -> SandboxUser | None:
    """The user an OAuth 1.0a header acts for (id = token prefix), or None for an app-only Bearer token."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and app_allowed and len(header) > 7:
        return None
    match = OAUTH_TOKEN.search(header) if header.startswith("OAuth ") else None
    if not match:
        raise Problem(401)
    token = match.group(1)
    user = SandboxUser.objects.filter(pk=token.split("-", 1)[0]).first()
    if user is None or user.revoked or user.access_token != token:
        raise Problem(401)
    return user


def _limit(endpoint: str) -> tuple[int, int]:
    override = SandboxLimit.objects.filter(endpoint=endpoint).first()
    if override:
        return override.limit, override.window_seconds
    calls, window = LIMITS[endpoint]
    return max(1, int(calls * getattr(settings, "X_SANDBOX_RATE_LIMIT_MULTIPLIER", 10))), window


def spend(endpoint: str, who: str) -> dict:
    """Counts the call; returns the rate-limit headers; raises a 429 Problem when the window is full."""
    limit, window = _limit(endpoint)
    start = int(time.time()) // window * window
    key = f"{endpoint}:{who}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                SandboxRateWindow.objects.create(key=key, window_start=start, count=0)
        except IntegrityError:
            pass
        row = SandboxRateWindow.objects.select_for_update().get(key=key, window_start=start)
        allowed = row.count < limit
        if allowed:
            SandboxRateWindow.objects.filter(pk=row.pk).update(count=F("count") + 1)
    used = row.count + (1 if allowed else 0)
    headers = {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(0, limit - used)),
        "x-rate-limit-reset": str(start + window),
    }
    if not allowed:
        raise Problem(429, extra={"_headers": headers})
    return headers


def _fault(request, path: str) -> SandboxFault | None:
    with transaction.atomic():
        for fault in SandboxFault.objects.select_for_update().filter(method=request.method).order_by("pk"):
            if not path.startswith(fault.path) or fault.fired >= fault.times:
                continue
            fault.seen += 1
            fire = fault.seen > fault.skip
            fault.fired += int(fire)
            fault.save(update_fields=["seen", "fired"])
            if fire:
                return fault
    return None


def x_endpoint(endpoint: str, *, app_allowed: bool = False, methods=("GET",)):
    """Wraps a sandbox API view: `view(request, user, *args)` returns (status, body)."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                return problem_response(405, f"{request.method} is not supported here.")
            path = request.path.split("/x-sandbox", 1)[-1]
            headers = {}
            try:
                user = acting_user(request, app_allowed=app_allowed)
                fault = _fault(request, path)
                if fault and fault.status:
                    reset = (
                        {
                            "x-rate-limit-reset": str(int(time.time()) + 60),
                            "x-rate-limit-remaining": "0",
                            "x-rate-limit-limit": "15",
                        }
                        if fault.status == 429
                        else {}
                    )
                    raise Problem(fault.status, extra={"_headers": reset})
                headers = spend(endpoint, user.pk if user else "app")
                status, body = view(request, user, *args, **kwargs)
                if fault and fault.delay_ms:
                    time.sleep(fault.delay_ms / 1000)  # the work is done; the answer is late (worker-death tests)
            except Problem as exc:
                extra_headers = exc.extra.pop("_headers", {}) or headers
                response = problem_response(exc.status, exc.detail, exc.extra)
                for name, value in extra_headers.items():
                    response[name] = value
                return response
            response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
            for name, value in headers.items():
                response[name] = value
            return response

        return wrapped

    return decorate


def json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise Problem(400, "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object.")
    return body
