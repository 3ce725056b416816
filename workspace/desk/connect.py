"""The Connect view (/workspace/connect/): the agent's contacts, one contact's transcript of every interaction and
their information, and writing to them outside a live conversation.

Left: Search contacts, Assigned Contacts, Unassigned contacts, the agent's own notices. Centre: the transcript in
reading order (DMs as a chat, tweets per tweet-and-reply sequence with Reply and Like), the composer (Write a
message on the contact's default outbound channel, a public reply, Reply by DM) and Send a notification. Right: the
contact card. Every contact comes through selectors.contact_for_agent: anyone else's is a 404.
"""

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, push_url, reselect, reswap, retarget, trigger_client_event

from contacts.identities import CAN_SEND, channel_label
from contacts.models import IdentityChannel
from interactions import outreach, tweet_actions
from interactions import services as interaction_services
from interactions.errors import InteractionError, NotYours
from interactions.selectors import contact_history
from workspace.desk import selectors
from workspace.desk.contact_forms import ContactForm
from workspace.desk.forms import ConnectForm, ConnectLikeForm, ConnectWriteForm, NotifyForm, TranscriptPageForm
from workspace.desk.views import _workspace, agent_required, topbar_context


def connect_url(contact_id: int | None = None) -> str:
    url = reverse("workspace:connect")
    return f"{url}?contact={contact_id}" if contact_id else url


def _contact_or_404(request, contact_id: int):
    contact = selectors.contact_for_agent(agent=request.user, contact_id=contact_id)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def destination(contact) -> dict:
    """Where Write a message goes, said above the composer: the contact's default outbound channel."""
    channel = contact.default_outbound_channel
    identities = [i for i in contact.identities.all() if i.channel == channel]
    if channel == IdentityChannel.EMAIL:
        address = identities[0].external_id if identities else ""
        return {"kind": "email", "text": f"Email to {address}" if address else "Email", "sends": True}
    if channel not in CAN_SEND:
        return {"kind": "off", "text": f"{channel_label(channel)} is not connected", "sends": False}
    handle = identities[0].handle if identities and identities[0].handle else ""
    return {"kind": "dm", "text": "Private DM on X", "to": f"@{handle}" if handle else "", "sends": True}


def _composer_context(request, contact, **extra) -> dict:
    templates = list(outreach.notification_templates_for(agent=request.user))
    return {
        "contact": contact,
        "destination": destination(contact),
        "idempotency_key": uuid.uuid4().hex,
        "notifications": selectors.notification_previews(agent=request.user, contact=contact, templates=templates),
        **extra,
    }


def _contact_context(request, contact, **extra) -> dict:
    return {
        **_composer_context(request, contact, **extra),
        "assigned_to_you": contact.assigned_agent_id == request.user.pk,
        "transcript": selectors.connect_transcript(agent=request.user, contact=contact),
        # The right column is the Contact tab: the contact card, Edit contact (the default outbound channel), history.
        "form": ContactForm(contact=contact),
        "history": contact_history(contact_id=contact.pk),
    }


def _lists_context(request, form: ConnectForm) -> dict:
    valid = form.is_valid()
    query = form.cleaned_data["q"].strip() if valid else form.typed("q").strip()
    return {
        "q": query,
        "search_error": "" if valid else form.refusal(),
        "results": selectors.search_contacts(agent=request.user, query=query) if valid and query else None,
        "assigned": selectors.assigned_contacts(agent=request.user),
        "unassigned": selectors.unassigned_contacts(agent=request.user),
        "notices": selectors.agent_notices(agent=request.user),
    }


@require_safe
@agent_required
def connect(request: HttpRequest) -> HttpResponse:
    """The page; ?q= searches contacts (htmx: the contact lists only), ?contact= opens one. A value Perch did not
    write is refused in words (422), someone else's contact is not found (404)."""
    form = ConnectForm(request.GET)
    context = _lists_context(request, form)
    status = 200 if form.is_valid() else 422
    contact_id = form.cleaned_data.get("contact") if form.is_valid() else None
    contact = _contact_or_404(request, contact_id) if contact_id else None
    if request.htmx:
        return render(request, "workspace/partials/_connect_contacts.html", {**context, "contact": contact},
                      status=status)  # fmt: skip
    if contact:
        context.update(_contact_context(request, contact))
    return render(request, "workspace/connect.html", {**context, **topbar_context(request)}, status=status)


@require_safe
@agent_required
def connect_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact opened from a list: the centre and the contact card (a plain request gets the page)."""
    contact = _contact_or_404(request, contact_id)
    if not request.htmx:
        return redirect(connect_url(contact.pk))
    response = render(request, "workspace/partials/_connect_contact.html", _contact_context(request, contact))
    return push_url(response, connect_url(contact.pk))


@require_safe
@agent_required
def connect_transcript(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The transcript, latest page (re-fetched on pushes), or with ?before= the "Older" page that goes above."""
    contact = _contact_or_404(request, contact_id)
    form = TranscriptPageForm(request.GET)
    if not form.is_valid():
        context = {"contact": contact, "transcript_error": form.refusal()}
        return render(request, "workspace/partials/_transcript_refused.html", context, status=422)
    if not request.htmx:
        return redirect(connect_url(contact.pk))
    before = form.cleaned_data["before"]
    context = {"contact": contact, "transcript": selectors.connect_transcript(agent=request.user, contact=contact,
               before=before)}  # fmt: skip
    template = "_connect_transcript_page.html" if before else "_connect_transcript.html"
    return render(request, f"workspace/partials/{template}", context)


def _refused(request, contact, error: str, *, template: str, line: str, status: int = 422, **extra) -> HttpResponse:
    """A refusal said beside the button that was clicked (422); only that line is swapped, so the draft, an
    attached image and a picked notification stay as the agent left them."""
    if not request.htmx:  # the whole page, saying it
        context = {**_lists_context(request, ConnectForm({})), **topbar_context(request),
                   **_contact_context(request, contact, error=error, **extra)}  # fmt: skip
        return render(request, "workspace/connect.html", context, status=status)
    response = render(request, f"workspace/partials/{template}", _composer_context(request, contact, error=error,
                      **extra), status=status)  # fmt: skip
    return reselect(retarget(reswap(response, "outerHTML"), line), line)


def _sent(request, contact, *, template: str, **extra) -> HttpResponse:
    """After a send: the part it came from, fresh (a new idempotency key), and the transcript with the new row."""
    if not request.htmx:
        return redirect(connect_url(contact.pk))
    transcript = selectors.connect_transcript(agent=request.user, contact=contact)
    context = {**_composer_context(request, contact, **extra), "transcript": transcript, "oob": True}
    response = render(request, f"workspace/partials/{template}", context)
    return trigger_client_event(response, "perch:interactions.changed")  # it may have joined a waiting chat


@require_POST
@agent_required
def connect_write(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The composer's Send: Write a message (outreach.contact_write), a public reply to a tweet, or Reply by DM."""
    contact = _contact_or_404(request, contact_id)
    form = ConnectWriteForm(request.POST, request.FILES)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        data = form.cleaned_data
        kwargs = {"agent": request.user, "text": data["text"], "idempotency_key": form.key(), "image": data["image"]}
        try:
            if data["mode"] == "reply":
                tweet_actions.tweet_reply(message_id=data["tweet"], **kwargs)
            elif data["mode"] == "dm":  # X refused a public reply to the tweet: its author, the contact, gets a DM
                interaction_services.interaction_write_async(contact_id=contact.pk, **kwargs)
            else:
                outreach.contact_write(contact_id=contact.pk, **kwargs)
        except NotYours as exc:
            raise Http404(str(exc)) from exc
        except InteractionError as exc:
            error = str(exc)
    if error:
        return _refused(request, contact, error, template="_connect_composer.html",
                        line=f"#connect-error-{contact.pk}", draft=form.typed("text"))  # fmt: skip
    return _sent(request, contact, template="_connect_composer.html", sent=True)


@require_POST
@agent_required
def connect_like(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Like on one of the contact's tweets (interactions.tweet_actions); a refusal is said beside Send."""
    contact = _contact_or_404(request, contact_id)
    form = ConnectLikeForm(request.POST)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        try:
            tweet_actions.tweet_like(agent=request.user, message_id=form.cleaned_data["tweet"],
                                     idempotency_key=form.key())  # fmt: skip
        except NotYours as exc:
            raise Http404(str(exc)) from exc
        except InteractionError as exc:
            error = str(exc)
    if error:
        return _refused(request, contact, error, template="_connect_composer.html", line=f"#connect-error-{contact.pk}")
    if not request.htmx:
        return redirect(connect_url(contact.pk))
    context = {"contact": contact, "transcript": selectors.connect_transcript(agent=request.user, contact=contact)}
    return render(request, "workspace/partials/_connect_transcript.html", context)


@require_POST
@agent_required
def connect_notify(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Send a notification: the picked template on the contact's default outbound channel (outreach)."""
    contact = _contact_or_404(request, contact_id)
    form = NotifyForm(request.POST, agent=request.user)
    error = "" if form.is_valid() else form.refusal()
    if not error:
        try:
            outreach.contact_notify(
                contact_id=contact.pk, agent=request.user, template_id=form.cleaned_data["template"].pk,
                idempotency_key=form.key(),
            )  # fmt: skip
        except InteractionError as exc:
            error = str(exc)
    if error:
        return _refused(request, contact, error, template="_connect_notify.html", line=f"#notify-error-{contact.pk}",
                        picked=form.typed("template"))  # fmt: skip
    return _sent(request, contact, template="_connect_notify.html", notified=True)


@require_POST
@agent_required
def contact_chat(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The X icon: a new Chat interaction with the contact, this agent's and active, opened in the workspace (a
    refusal, e.g. another agent has the conversation, is said beside Send: 409)."""
    contact = _contact_or_404(request, contact_id)
    try:
        interaction = interaction_services.interaction_start_chat(contact_id=contact.pk, agent=request.user)
    except InteractionError as exc:
        return _refused(request, contact, str(exc), template="_connect_composer.html",
                        line=f"#connect-error-{contact.pk}", status=409)  # fmt: skip
    url = reverse("workspace:interaction", args=[interaction.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_safe
@agent_required
def contact_transcript(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The right panel's Conversation tab: every DM and tweet with the contact, newest first; ?before= is the
    "Older" page."""
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


@require_safe
@agent_required
def notices(request: HttpRequest) -> HttpResponse:
    """The agent's own notices in the Connect view (re-fetched when a notice is pushed)."""
    if not request.htmx:
        return redirect("workspace:connect")
    return render(request, "workspace/partials/_notices.html", {"notices": selectors.agent_notices(agent=request.user)})


@require_safe
@agent_required
def replied(request: HttpRequest) -> HttpResponse:
    """The "… replied — Show" toasts: re-fetched when a notice is pushed or cleared, so each names its contact (a push
    carries ids only) and goes once the conversation is taken or handled."""
    if not request.htmx:
        return redirect("workspace:connect")
    context = {"replied": selectors.replied_notices(agent=request.user)}
    return render(request, "workspace/partials/_replied.html", context)


@require_safe
@agent_required
def communication_moved(request: HttpRequest, contact_id: int | None = None) -> HttpResponse:
    """The old Communication tab's addresses: the Connect view, on the same contact or search."""
    query = request.GET.copy()
    if contact_id:
        query["contact"] = str(_contact_or_404(request, contact_id).pk)  # someone else's stays a 404, as it was
    url = reverse("workspace:connect")
    return redirect(f"{url}?{query.urlencode()}" if query else url, permanent=False)
