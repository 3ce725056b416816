"""What every sandbox API route does around its work, as X does: an Authorization header is required, injected
faults fire, calls are counted per user (or app) and endpoint with x-rate-limit-* headers on the answer, and
errors are X's bodies. Views are `view(request, user, *args) -> (status, body)` and raise `Problem`."""

import json
import time
from functools import wraps

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from social.sandbox import charges, faults, limits
from social.sandbox.auth import acting_user
from social.sandbox.errors import Problem, problem_response


def base_url(request) -> str:
    """The sandbox's absolute base URL as the caller reached it (for media and avatar URLs)."""
    return request.build_absolute_uri("/x-sandbox").rstrip("/")


def x_endpoint(endpoint: str, *, app_allowed: bool = False, app_only: bool = False, v1: bool = False):
    """Wraps one (method, route) of the X API; `endpoint` names its rate limit. `app_allowed`: a Bearer token may
    call it too; `app_only`: only a Bearer token may."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            path = request.path.split("/x-sandbox", 1)[-1]
            headers: dict = {}
            try:
                user = acting_user(request, app_allowed=app_allowed or app_only)
                if app_only and user is not None:
                    raise Problem.app_only_authentication()
                who, app = (user.pk, False) if user else ("app", True)
                fault = faults.next_fault(request.method, path)
                if fault and fault.status == 200:
                    # A garbled answer: 200 and JSON cut off mid-way, as a proxy dropping the connection leaves it.
                    return HttpResponse(b'{"data": [{"id": "17', content_type="application/json")
                if fault and fault.status:
                    headers = limits.peek(endpoint, who, app=app)
                    if fault.status == 429:
                        headers["x-rate-limit-remaining"] = "0"
                        headers["x-rate-limit-reset"] = str(int(time.time()) + 60)
                    if fault.status == 403 and fault.problem == "not_in_access":
                        raise Problem.not_in_access()  # X's `client-forbidden` body
                    raise Problem(fault.status)
                headers = limits.spend(endpoint, who, app=app)
                with transaction.atomic():
                    status, body = view(request, user, *args, **kwargs)
                    headers[charges.HEADER] = charges.header_value(
                        charges.charge(endpoint, user, request, status, body)
                    )
                if fault and fault.delay_ms:
                    time.sleep(fault.delay_ms / 1000)  # the work is done; the answer is late (worker-death tests)
            except Problem as problem:
                return problem_response(problem, v1=v1, headers=headers)
            response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
            for name, value in headers.items():
                response[name] = value
            return response

        wrapped.x_endpoint = endpoint
        return wrapped

    return decorate


def methods(**views):
    """One URL, a view per HTTP method (`GET=...`, `POST=...`); other methods get X's 405 Problem."""

    @csrf_exempt
    def dispatch(request, *args, **kwargs):
        view = views.get(request.method)
        if view is None:
            problem = Problem(405, f"{request.method} is not supported on {request.path}.")
            response = problem_response(problem, v1="/1.1/" in request.path)
            response["Allow"] = ", ".join(views)
            return response
        return view(request, *args, **kwargs)

    return dispatch


@csrf_exempt
def unknown_route(request, *args, **kwargs):
    """X answers routes it does not have with 404."""
    if "/1.1/" in request.path:
        return problem_response(Problem.v1(404), v1=True)
    return problem_response(Problem(404, "Sorry, that page does not exist."))


def json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise Problem.invalid("The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise Problem.invalid("The request body must be a JSON object.")
    return body
