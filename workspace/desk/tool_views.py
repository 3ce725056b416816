"""The agent's tools around the conversation: canned responses for the composer, private notes, labels."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from interactions.annotations import interaction_label_set, interaction_note_add
from interactions.canned import canned_response_render, canned_responses_for_agent
from interactions.errors import InteractionError, NotYours
from interactions.models import Label
from workspace.desk import selectors
from workspace.desk.forms import LabelForm, NoteForm
from workspace.desk.views import Refused, _render_interaction, agent_required, interaction_action


def _visible_interaction(request, interaction_id: int):
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id)
    if found is None:
        raise Http404("No such interaction.")
    return found


@require_safe
@agent_required
def canned_responses(request: HttpRequest, interaction_id: int) -> JsonResponse:
    """The agent's canned responses (their own and their teams'), filled in for this interaction's contact."""
    interaction = _visible_interaction(request, interaction_id)
    agent = request.user
    responses = [
        {"id": r.pk, "title": r.title, "text": canned_response_render(response=r, interaction=interaction, agent=agent)}
        for r in canned_responses_for_agent(agent=agent)
    ]
    return JsonResponse({"responses": responses})


@require_POST
@agent_required
@interaction_action(error_at_composer=True, draft_field="text")
def interaction_note(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Add a private note: stored and shown in the transcript, never sent to X. A refusal shows beside Send."""
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise Refused(form.refusal())
    text, key = form.cleaned_data["text"], form.cleaned_data["idempotency_key"]
    interaction_note_add(interaction_id=interaction_id, agent=request.user, text=text,
                         idempotency_key=f"{key}-note" if key else None)  # fmt: skip
    return _render_interaction(request, interaction_id)


@require_POST
@agent_required
def interaction_labels(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Tag or untag the interaction with one label; answers the header's label bar (a refusal shows in it)."""
    if selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id, with_messages=False) is None:
        raise Http404("No such interaction.")  # deny first: someone else's interaction is 404 whatever was posted
    form = LabelForm(request.POST)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        try:
            interaction_label_set(interaction_id=interaction_id, agent=request.user,
                                  label_id=form.cleaned_data["label"], tagged=form.cleaned_data["tagged"])  # fmt: skip
        except NotYours as exc:
            raise Http404(str(exc)) from exc
        except InteractionError as exc:
            error = str(exc)
    if not request.htmx:
        if error:
            return _render_interaction(request, interaction_id, status=422, error=error)
        return redirect("workspace:interaction", interaction_id=interaction_id)
    context = {"interaction": _visible_interaction(request, interaction_id), "label_error": error, "menu_open": True,
               "all_labels": Label.objects.filter(is_active=True)}  # fmt: skip
    return render(request, "workspace/partials/_labels.html", context, status=422 if error else 200)
