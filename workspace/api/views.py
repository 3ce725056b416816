"""Read-only JSON endpoints. Each one: a bearer token, the visibility of the workspace, bounded pages.

An agent's token sees what the agent sees in the workspace (interactions.visibility); a staff (supervisor) token sees
everything, as in the admin. Objects the token may not see answer 404, exactly like objects that do not exist.
"""

from functools import wraps

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from contacts.models import Contact, ContactIdentity
from interactions.models import Channel, Interaction, InteractionState, Message
from interactions.visibility import contacts_matching, visible_contacts_q, visible_interactions_q
from workspace.api import serializers
from workspace.api.openapi import (
    DEFAULT_PAGE_SIZE,
    MAX_ID,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    openapi_document,
    query_parameters,
)
from workspace.api.tokens import user_for_token


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def api_view(view):
    """GET/HEAD only, `Authorization: Bearer <token>` required (sessions and cookies are ignored), JSON errors."""

    @csrf_exempt  # no cookies are read, so there is nothing to forge
    @never_cache
    @require_safe
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            response = JsonResponse({"error": "A valid API token is required: Authorization: Bearer <token>."})
            response.status_code = 401
            response["WWW-Authenticate"] = 'Bearer realm="perch"'
            return response
        try:
            _refuse_unknown_parameters(request)
            return JsonResponse(view(request, user, *args, **kwargs))
        except ApiError as error:
            return JsonResponse({"error": error.message}, status=error.status)

    return wrapped


def _refuse_unknown_parameters(request: HttpRequest) -> None:
    """Only the query parameters the OpenAPI document lists: a misspelt filter (?stat=) must not silently match all."""
    known = query_parameters(route=request.resolver_match.route)
    unknown = sorted(set(request.GET) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise ApiError(400, f"Unknown query parameter {', '.join(map(repr, unknown))}: {takes}.")


def _whole_number(
    request: HttpRequest, name: str, *, default: int | None, most: int = MAX_ID, what: str = ""
) -> int | None:
    """A query parameter that must be a whole number from 1 to `most`, written in ASCII digits; 400 otherwise."""
    if name not in request.GET:
        return default
    value = request.GET[name]
    # isascii(): str.isdigit() accepts "²", which int() refuses; the length check spares int() 5,000-digit strings.
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(most)) and 1 <= int(value) <= most):
        bounds = "1 or more" if most == MAX_ID else f"from 1 to {most}"
        raise ApiError(400, f"{name} must be {what or 'a whole number'}, {bounds}.")
    return int(value)


def _paginate(request: HttpRequest, queryset, serialize) -> dict:
    page_number = _whole_number(request, "page", default=1)
    page_size = _whole_number(request, "page_size", default=DEFAULT_PAGE_SIZE, most=MAX_PAGE_SIZE)
    paginator = Paginator(queryset, page_size)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        raise ApiError(404, "No such page.") from None

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        query = request.GET.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": paginator.count,
        "page": page.number,
        "page_size": page_size,
        "next": link(page.next_page_number() if page.has_next() else None),
        "previous": link(page.previous_page_number() if page.has_previous() else None),
        "results": [serialize(item) for item in page.object_list],
    }


def _interactions(user):
    interactions = Interaction.objects.select_related("contact", "x_account", "agent", "disposition")
    return interactions if user.is_staff else interactions.filter(visible_interactions_q(agent=user))


def _contacts(user):
    contacts = Contact.objects.select_related("assigned_agent").prefetch_related(
        Prefetch("identities", queryset=ContactIdentity.objects.order_by("channel", "id"))
    )
    return contacts if user.is_staff else contacts.filter(visible_contacts_q(agent=user))


def _choice(request: HttpRequest, name: str, choices) -> str:
    """A query parameter from `choices`, or "" when it is not given at all; 400 otherwise (even when empty)."""
    value = request.GET.get(name)
    if value is None:
        return ""
    if value not in choices:
        raise ApiError(400, f"{name} must be one of: {', '.join(choices)}.")
    return value


@api_view
def interaction_list(request: HttpRequest, user) -> dict:
    interactions = _interactions(user).order_by("-opened_at", "-id")
    if state := _choice(request, "state", InteractionState.values):
        interactions = interactions.filter(state=state)
    if kind := _choice(request, "kind", Channel.values):
        interactions = interactions.filter(kind=kind)
    if contact := _whole_number(request, "contact", default=None, what="a contact id"):
        interactions = interactions.filter(contact_id=contact)
    return _paginate(request, interactions, serializers.interaction)


def _interaction_or_404(user, interaction_id: int) -> Interaction:
    found = _interactions(user).filter(pk=interaction_id).first()
    if found is None:
        raise ApiError(404, "No such interaction.")
    return found


@api_view
def interaction_detail(request: HttpRequest, user, interaction_id: int) -> dict:
    found = _interaction_or_404(user, interaction_id)
    return {**serializers.interaction(found), "messages_url": reverse("api:interaction_messages", args=[found.pk])}


@api_view
def interaction_messages(request: HttpRequest, user, interaction_id: int) -> dict:
    found = _interaction_or_404(user, interaction_id)
    messages = Message.objects.filter(interaction=found).select_related("author_identity", "author_agent")
    return _paginate(request, messages.order_by("created_at", "id"), serializers.message)


@api_view
def contact_list(request: HttpRequest, user) -> dict:
    contacts = _contacts(user).order_by("display_name", "id")
    query = request.GET.get("q", "")
    if "\x00" in query:
        raise ApiError(400, "q must not contain NUL characters.")  # PostgreSQL refuses them in text
    if len(query) > MAX_QUERY_LENGTH:
        raise ApiError(400, f"q is at most {MAX_QUERY_LENGTH} characters.")
    if query.strip():
        contacts = contacts.filter(pk__in=contacts_matching(Contact.objects.all(), query=query).values("pk"))
    return _paginate(request, contacts, serializers.contact)


@api_view
def contact_detail(request: HttpRequest, user, contact_id: int) -> dict:
    found = _contacts(user).filter(pk=contact_id).first()
    if found is None:
        raise ApiError(404, "No such contact.")
    return {**serializers.contact(found), "notes": found.notes}


@csrf_exempt
@never_cache
def no_such_endpoint(request: HttpRequest) -> JsonResponse:
    """Any other URL under /api/ (a negative id, a typo): a 404 in JSON, as every API answer, not Django's page."""
    return JsonResponse({"error": f"No such API endpoint: {request.path}. See /api/openapi.json."}, status=404)


@never_cache
@require_safe
def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of this API (public: it describes, it holds no data)."""
    return JsonResponse(openapi_document(server_url=request.build_absolute_uri("/")))
