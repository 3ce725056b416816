"""The right panel's Communication tab (the Connect group) and Conversation tab.

Assigned Contacts, search, unassigned contacts, Notifications; one contact's transcript of every interaction,
their info, Write a message (a DM through the outbox) and the X icon (a new Chat interaction in the centre).
Every view answers htmx with its partial and a plain request with the whole workspace around it.
"""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import push_url, retarget, trigger_client_event

from interactions import services as interaction_services
from interactions.errors import InteractionError
from workspace.desk import selectors
from workspace.desk.forms import CommunicationForm, ContactMessageForm, TranscriptPageForm
from workspace.desk.views import _render_interaction, _workspace, agent_required


def _contact_or_404(request, contact_id: int):
    contact = selectors.contact_for_agent(agent=request.user, contact_id=contact_id)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _contact_context(request, contact, **extra) -> dict:
    return {
        "contact": contact,
        "assigned_to_you": contact.assigned_agent_id == request.user.pk,
        "transcript": selectors.contact_transcript(agent=request.user, contact=contact),
        "idempotency_key": uuid.uuid4().hex,
        **extra,
    }


def _communication_context(request, form: CommunicationForm) -> dict:
    valid = form.is_valid()
    query = form.cleaned_data["q"].strip() if valid else form.typed("q")
    context = {
        "q": query,
        "search_error": "" if valid else form.refusal(),
        "results": selectors.search_contacts(agent=request.user, query=query) if valid and query else None,
        "assigned": selectors.assigned_contacts(agent=request.user),
        "unassigned": selectors.unassigned_contacts(agent=request.user),
        "notices": selectors.agent_notices(agent=request.user),
        "contact": None,
    }
    if valid and form.cleaned_data["contact"]:
        context.update(_contact_context(request, _contact_or_404(request, form.cleaned_data["contact"])))
    return context


@require_safe
@agent_required
def communication(request: HttpRequest) -> HttpResponse:
    """The Communication tab; ?q= searches contacts, ?contact= opens one (a refused value is said in the results)."""
    form = CommunicationForm(request.GET)
    context = _communication_context(request, form)
    status = 200 if form.is_valid() else 422
    if not request.htmx:
        return _workspace(request, context={**context, "right_tab": "communication"}, status=status)
    return render(request, "workspace/partials/_communication_tab.html", context, status=status)


@require_safe
@agent_required
def communication_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact in the Communication tab: info, transcript of all interactions, Write a message."""
    contact = _contact_or_404(request, contact_id)
    if not request.htmx:
        return redirect(f"{reverse('workspace:communication')}?contact={contact.pk}")
    return render(request, "workspace/partials/_communication_contact.html", _contact_context(request, contact))


@require_safe
@agent_required
def contact_transcript(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Every DM and tweet with the contact, newest first; ?before= is the "Older" page."""
    contact = _contact_or_404(request, contact_id)
    form = TranscriptPageForm(request.GET)
    if not form.is_valid():  # the "Older" button is replaced by why it cannot page
        context = {"contact": contact, "transcript_error": form.refusal()}
        if request.htmx:
            return render(request, "workspace/partials/_transcript_refused.html", context, status=422)
        context["transcript"] = selectors.contact_transcript(agent=request.user, contact=contact)
        return _workspace(request, context={**context, "right_tab": "conversation"}, status=422)
    before = form.cleaned_data["before"]
    context = {
        "contact": contact,
        "transcript": selectors.contact_transcript(agent=request.user, contact=contact, before=before),
    }
    if not request.htmx:
        return _workspace(request, context={**context, "right_tab": "conversation"})
    template = "_transcript_page.html" if before else "_transcript.html"
    return render(request, f"workspace/partials/{template}", context)


@require_POST
@agent_required
def contact_message(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Write a message + Send in the Communication tab: a DM to the contact, sent by the outbox."""
    contact = _contact_or_404(request, contact_id)
    form = ContactMessageForm(request.POST)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        try:
            interaction_services.interaction_write_async(
                contact_id=contact.pk, agent=request.user, text=form.cleaned_data["text"], idempotency_key=form.key()
            )
        except InteractionError as exc:
            error = str(exc)
    if error:
        context = _contact_context(request, contact, draft=form.typed("text"), error=error)
        return render(request, "workspace/partials/_communication_contact.html", context, status=422)
    if not request.htmx:
        return redirect(f"{reverse('workspace:communication')}?contact={contact.pk}")
    context = _contact_context(request, contact, sent=True)
    response = render(request, "workspace/partials/_communication_contact.html", context)
    return trigger_client_event(response, "perch:interactions.changed")  # it may have joined a waiting chat


@require_POST
@agent_required
def contact_chat(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The X icon: a new Chat interaction with the contact, this agent's and active, opened in the centre."""
    contact = _contact_or_404(request, contact_id)
    try:
        interaction = interaction_services.interaction_start_chat(contact_id=contact.pk, agent=request.user)
    except InteractionError as exc:
        response = render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=409)
        return retarget(response, "#comm-contact-error")  # the centre keeps what the agent is working on
    if not request.htmx:
        return redirect("workspace:interaction", interaction_id=interaction.pk)
    response = push_url(
        _render_interaction(request, interaction.pk), reverse("workspace:interaction", args=[interaction.pk])
    )
    return trigger_client_event(response, "perch:interactions.changed")


@require_safe
@agent_required
def notices(request: HttpRequest) -> HttpResponse:
    """The Notifications list of the Communication tab (re-fetched when a notice is pushed)."""
    if not request.htmx:
        return redirect("workspace:communication")
    return render(request, "workspace/partials/_notices.html", {"notices": selectors.agent_notices(agent=request.user)})


@require_safe
@agent_required
def replied(request: HttpRequest) -> HttpResponse:
    """The "… replied — Show" toasts: re-fetched when a notice is pushed or cleared, so each names its contact (a push
    carries ids only) and goes once the conversation is taken or handled."""
    if not request.htmx:
        return redirect("workspace:communication")
    context = {"replied": selectors.replied_notices(agent=request.user)}
    return render(request, "workspace/partials/_replied.html", context)
