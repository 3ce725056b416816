"""GET /2/users/me, /2/users/:id, /2/users/by/username/:username."""

from social.sandbox.errors import Problem, not_found_error
from social.sandbox.http import base_url, x_endpoint
from social.sandbox.models import SandboxUser
from social.sandbox.wire import USER_EXPANSIONS, Renderer


def _user_body(request, user: SandboxUser) -> dict:
    renderer = Renderer(request, base_url(request), expansions=USER_EXPANSIONS)
    return renderer.body(renderer.user(user))


@x_endpoint("users_me")
def users_me(request, user):
    return 200, _user_body(request, user)


@x_endpoint("users_lookup", app_allowed=True)
def user_by_id(request, user, user_id):
    if not user_id.isdigit():
        raise Problem.invalid(f"The `id` query parameter value [{user_id}] is not valid", "id", user_id)
    found = SandboxUser.objects.filter(pk=user_id).first()
    if found is None:  # X answers lookups of unknown ids with 200 and an errors array
        Renderer(request, base_url(request), expansions=USER_EXPANSIONS)  # still refuses unknown fields
        detail = f"Could not find user with id: [{user_id}]."
        return 200, {"errors": [not_found_error(value=user_id, resource_type="user", parameter="id", detail=detail)]}
    return 200, _user_body(request, found)


@x_endpoint("users_lookup", app_allowed=True)
def user_by_username(request, user, username):
    found = SandboxUser.objects.filter(username__iexact=username).first()
    if found is None:
        detail = f"Could not find user with username: [{username}]."
        error = not_found_error(value=username, resource_type="user", parameter="username", detail=detail)
        return 200, {"errors": [error]}
    return 200, _user_body(request, found)
