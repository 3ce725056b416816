import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from interactions import outbox
from interactions import services as interaction_services
from interactions.errors import InteractionError, NotYours
from interactions.models import Message, Offer
from workspace import selectors, services
from workspace.forms import PresenceForm
from workspace.health import run_checks


def agent_required(view):
    """Only users with an AgentProfile (or staff, to look around) get the workspace."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not (hasattr(request.user, "agent_profile") or request.user.is_staff):
            raise PermissionDenied("This login is not an agent.")
        return view(request, *args, **kwargs)

    return wrapped


def _workspace(request, *, interaction=None, status=200) -> HttpResponse:
    context = {
        "presences": selectors.presence_by_channel(agent=request.user),
        "reasons": selectors.not_ready_reasons(),
        "interactions": selectors.agent_open_interactions(agent=request.user),
        "interaction": interaction,
    }
    return render(request, "workspace/home.html", context, status=status)


@require_safe
@agent_required
def home(request: HttpRequest) -> HttpResponse:
    return _workspace(request)


@require_http_methods(["GET", "POST"])
@agent_required
def presence(request: HttpRequest) -> HttpResponse:
    """GET: the header's Ready toggles (re-fetched on a push). POST: change one channel."""
    if request.method == "POST":
        form = PresenceForm(request.POST)
        if not form.is_valid():
            return HttpResponse(form.errors.as_text(), status=400)
        services.presence_set(agent=request.user, **form.cleaned_data)
        if not request.htmx:
            return redirect("workspace:home")
    context = {"presences": selectors.presence_by_channel(agent=request.user), "reasons": selectors.not_ready_reasons()}
    return render(request, "workspace/partials/_presence.html", context)


@require_safe
@agent_required
def offers(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/partials/_offers.html", {"offers": selectors.live_offers(agent=request.user)})


@require_safe
@agent_required
def interaction_list(request: HttpRequest) -> HttpResponse:
    context = {"interactions": selectors.agent_open_interactions(agent=request.user)}
    return render(request, "workspace/partials/_interaction_list.html", context)


@require_safe
@agent_required
def interaction(request: HttpRequest, interaction_id: int) -> HttpResponse:
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id)
    if found is None:
        raise Http404("No such interaction.")
    if not request.htmx:
        return _workspace(request, interaction=found)
    return render(request, "workspace/partials/_interaction.html", {"interaction": found})


def _own_offer(request, offer_id: int) -> Offer:
    return get_object_or_404(Offer, pk=offer_id, agent=request.user)


@require_POST
@agent_required
def offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    try:
        interaction_services.interaction_accept(interaction_id=offer.interaction_id, agent=request.user)
    except InteractionError as exc:
        response = render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=409)
        return trigger_client_event(response, "perch:offers.changed")
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=offer.interaction_id)
    if not request.htmx:
        return redirect("workspace:interaction", interaction_id=offer.interaction_id)
    response = render(request, "workspace/partials/_interaction.html", {"interaction": found})
    return trigger_client_event(trigger_client_event(response, "perch:offers.changed"), "perch:interactions.changed")


@require_POST
@agent_required
def offer_reject(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    try:
        interaction_services.interaction_reject(interaction_id=offer.interaction_id, agent=request.user)
    except InteractionError:
        pass  # already expired or taken: the toast simply goes away
    if not request.htmx:
        return redirect("workspace:home")
    return trigger_client_event(HttpResponse(""), "perch:offers.changed")


@require_safe
@agent_required
def message_media(request: HttpRequest, message_id: int, index: int) -> FileResponse:
    """An image of a message, to agents who may see its interaction (never a public media URL)."""
    message = get_object_or_404(Message, pk=message_id)
    if selectors.interaction_for_agent(agent=request.user, interaction_id=message.interaction_id) is None:
        raise Http404("No such image.")
    try:
        name = message.media[index]["file"]
    except (IndexError, KeyError, TypeError) as exc:
        raise Http404("No such image.") from exc
    return FileResponse(default_storage.open(name), content_type=mimetypes.guess_type(name)[0] or "image/jpeg")


@require_POST
@agent_required
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = outbox.outbox_retry(message_id=message_id, agent=request.user)
    except InteractionError as exc:
        if isinstance(exc, NotYours):
            raise Http404(str(exc)) from exc
        return render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=409)
    return redirect("workspace:interaction", interaction_id=message.interaction_id)


@require_POST
@agent_required
def interaction_sentiment(request: HttpRequest, interaction_id: int) -> HttpResponse:
    try:
        interaction_services.interaction_set_sentiment(
            interaction_id=interaction_id, agent=request.user, sentiment=request.POST.get("sentiment", "")
        )
    except InteractionError as exc:
        if isinstance(exc, NotYours):
            raise Http404(str(exc)) from exc
        return render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=400)
    return redirect("workspace:interaction", interaction_id=interaction_id)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
