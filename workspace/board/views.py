"""The supervisors' live board at /admin/board/ (staff only): a page of htmx partials that re-fetch themselves
when the `supervisors` group hears of a change (pushed after commit by the services), and on reconnect."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from interactions import services as interaction_services
from interactions.errors import InteractionError
from social.health import accounts_health
from social.spend import accounts_spend
from workspace.board.selectors import board_agents, board_queue, board_review
from workspace.desk.forms import ReassignForm, reassignable_agents


@staff_member_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Live board",
        "is_nav_sidebar_enabled": False,  # the board needs the whole width
        "queues": board_queue(),
        "review": board_review(),
        "agents": board_agents(),
        "choices": reassignable_agents(),
        "accounts": accounts_health(),
        "spend": accounts_spend(),
    }
    return render(request, "admin/board/board.html", context)


@staff_member_required
@require_GET
def board_queue_partial(request: HttpRequest) -> HttpResponse:
    context = {"queues": board_queue(), "review": board_review(), "choices": reassignable_agents()}
    return render(request, "admin/board/partials/_queue.html", context)


@staff_member_required
@require_GET
def board_agents_partial(request: HttpRequest) -> HttpResponse:
    context = {"agents": board_agents(), "choices": reassignable_agents()}
    return render(request, "admin/board/partials/_agents.html", context)


@staff_member_required
@require_GET
def board_health_partial(request: HttpRequest) -> HttpResponse:
    return render(request, "admin/board/partials/_health.html", {"accounts": accounts_health()})


@staff_member_required
@require_GET
def board_spend_partial(request: HttpRequest) -> HttpResponse:
    return render(request, "admin/board/partials/_spend.html", {"spend": accounts_spend()})


@staff_member_required
@require_POST
def board_reassign(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Gives an interaction to the chosen agent through the service; a refusal is shown, nothing changes."""
    form = ReassignForm(request.POST)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        to_agent = form.cleaned_data["agent"]
        try:
            interaction = interaction_services.interaction_reassign(
                interaction_id=interaction_id, to_agent=to_agent, by=request.user
            )
        except InteractionError as exc:  # not open any more, or no such interaction
            error = str(exc)
    if not request.htmx:  # the form works without JavaScript too
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"Reassigned #{interaction.pk} to {to_agent.get_full_name() or to_agent}.")
        return redirect("board:home")
    if error:
        return render(request, "admin/board/partials/_notice.html", {"error": error}, status=422)
    response = render(request, "admin/board/partials/_notice.html", {"interaction": interaction, "to_agent": to_agent})
    return trigger_client_event(response, "board:refresh")


@staff_member_required
@require_POST
def board_review_decide(request: HttpRequest, interaction_id: int, decision: str) -> HttpResponse:
    """Releases a conversation in review to the queue, or closes it, through the service; a refusal is shown."""
    move = {
        "release": interaction_services.interaction_review_release,
        "close": interaction_services.interaction_review_close,
    }[decision]
    try:
        interaction = move(interaction_id=interaction_id, by=request.user)
    except InteractionError as exc:  # no longer in review (another supervisor was quicker), or no such interaction
        error, interaction = str(exc), None
    else:
        error = ""
    done = "released to the queue" if decision == "release" else "closed"
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"#{interaction.pk} {interaction.contact.display_name}: {done}.")
        return redirect("board:home")
    context = {"error": error, "interaction": interaction, "done": done}
    response = render(request, "admin/board/partials/_review_notice.html", context, status=422 if error else 200)
    return response if error else trigger_client_event(response, "board:refresh")
