"""X's error bodies: v2 Problem JSON (`title`, `type`, `status`, `detail`), v2 "Invalid Request" with an `errors`
array, and v1.1's `{"errors": [{"code", "message"}]}` for the media upload host."""

from django.http import JsonResponse

TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found Error",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
PROBLEMS = "https://api.twitter.com/2/problems"
INVALID_REQUEST_DETAIL = "One or more parameters to your request was invalid."
# v1.1 error codes X documents for the statuses the sandbox answers with.
V1_CODES = {
    400: (324, "Bad request."),
    401: (32, "Could not authenticate you."),
    403: (200, "Forbidden."),
    404: (34, "Sorry, that page does not exist."),
    429: (88, "Rate limit exceeded"),
}


# X documents the `client-forbidden` problem type ("App not enrolled or lacks required access",
# x-api/fundamentals/response-codes-and-errors.mdx) but no body for a like on self-serve access, an unsummoned
# reply, or a DM the recipient refuses: see tests/social/fixtures/access/README.md for where each wording comes from.
NOT_IN_ACCESS_DETAIL = (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) "
    "only. If you need access to this endpoint, you may need a different access level. You can learn more here: "
    "https://developer.x.com/en/portal/product"
)
NOT_SUMMONED_DETAIL = (
    "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the "
    "author of the post you are replying to."
)
DMS_CLOSED_DETAIL = "You cannot send messages to this user."


class Problem(Exception):
    """An X error answer. `body` replaces the default Problem body (Invalid Request, v1.1 errors)."""

    def __init__(self, status: int, detail: str = "", *, body: dict | None = None, headers: dict | None = None):
        super().__init__(detail or TITLES.get(status, "Error"))
        self.status = status
        self.detail = detail or TITLES.get(status, "Error")
        self.body = body
        self.headers = headers or {}

    @classmethod
    def invalid(cls, message: str, parameter: str = "", value: str = "") -> "Problem":
        """X's 400 for a parameter it refuses: the reason is in `errors[].message`, `detail` is generic."""
        error = {"parameters": {parameter: [value]}, "message": message} if parameter else {"message": message}
        body = {
            "errors": [error],
            "title": "Invalid Request",
            "detail": INVALID_REQUEST_DETAIL,
            "type": f"{PROBLEMS}/invalid-request",
        }
        return cls(400, message, body=body)

    @classmethod
    def unsupported_authentication(cls) -> "Problem":
        detail = (
            "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
            "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context]."
        )
        body = {
            "title": "Unsupported Authentication",
            "detail": detail,
            "type": f"{PROBLEMS}/unsupported-authentication",
            "status": 403,
        }
        return cls(403, detail, body=body)

    @classmethod
    def app_only_authentication(cls) -> "Problem":
        """X's 403 for a user-context call to a route that takes only the app's Bearer token."""
        detail = (
            "Authenticating with OAuth 1.0a User Context is forbidden for this endpoint.  Supported authentication "
            "types are [OAuth 2.0 Application-Only]."
        )
        body = {
            "title": "Unsupported Authentication",
            "detail": detail,
            "type": f"{PROBLEMS}/unsupported-authentication",
            "status": 403,
        }
        return cls(403, detail, body=body)

    @classmethod
    def not_found(cls, *, resource_type: str, parameter: str, value: str) -> "Problem":
        """X's 404 for an id it does not have (ResourceNotFoundProblem)."""
        detail = f"Could not find {resource_type} with {parameter}: [{value}]."
        body = {**not_found_error(value=value, resource_type=resource_type, parameter=parameter, detail=detail),
                "status": 404}  # fmt: skip
        return cls(404, detail, body=body)

    @classmethod
    def not_in_access(cls) -> "Problem":
        """X's 403 for an endpoint the app's access does not include (its `client-forbidden` problem)."""
        body = {
            "title": "Client Forbidden",
            "detail": NOT_IN_ACCESS_DETAIL,
            "reason": "client-not-enrolled",
            "required_enrollment": "Appropriate Level of API Access",
            "registration_url": "https://developer.x.com/en/portal/product",
            "type": f"{PROBLEMS}/client-forbidden",
            "status": 403,
        }
        return cls(403, NOT_IN_ACCESS_DETAIL, body=body)

    @classmethod
    def v1(cls, status: int, message: str = "", code: int | None = None) -> "Problem":
        default_code, default_message = V1_CODES.get(status, (131, "Internal error"))
        error = {"code": code or default_code, "message": message or default_message}
        return cls(status, error["message"], body={"errors": [error]})


def not_found_error(*, value: str, resource_type: str, parameter: str, detail: str) -> dict:
    """One entry of the `errors` array X returns (with 200) for lookups of ids it does not have."""
    return {
        "value": value,
        "detail": detail,
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}/resource-not-found",
    }


def problem_body(status: int, detail: str = "") -> dict:
    return {
        "title": TITLES.get(status, "Error"),
        "type": "about:blank",
        "status": status,
        "detail": detail or TITLES.get(status, "Error"),
    }


def problem_response(problem: Problem, *, v1: bool = False, headers: dict | None = None) -> JsonResponse:
    if problem.body is not None:
        body = problem.body
    elif v1:
        body = Problem.v1(problem.status, problem.detail if problem.status == 400 else "").body
    else:
        body = problem_body(problem.status, problem.detail)
    is_problem = not v1 and "title" in body
    response = JsonResponse(
        body,
        status=problem.status,
        content_type="application/problem+json" if is_problem else "application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in {**(headers or {}), **problem.headers}.items():
        response[name] = value
    return response
