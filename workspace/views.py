from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

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


@require_safe
@agent_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "presences": selectors.presence_by_channel(agent=request.user),
        "interactions": selectors.agent_open_interactions(agent=request.user),
    }
    return render(request, "workspace/home.html", context)


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
    context = {"presences": selectors.presence_by_channel(agent=request.user)}
    return render(request, "workspace/partials/_presence.html", context)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
