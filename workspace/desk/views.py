import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import push_url, reselect, reswap, retarget, trigger_client_event

from interactions import handoff, outbox
from interactions import services as interaction_services
from interactions.attachments import stored_image_type
from interactions.errors import InteractionError, NotYours
from interactions.models import Label, Message, Offer
from interactions.presence import presence_set
from interactions.reading import interaction_mark_read
from workspace.desk import selectors
from workspace.desk.forms import (
    LikeForm,
    MarkDoneForm,
    MoveToDMForm,
    PresenceForm,
    SendForm,
    SentimentForm,
    TweetForm,
)
from workspace.gone import gone_text
from workspace.health import account_health, run_checks


def agent_required(view):
    """Only users with an AgentProfile (or staff, to look around) get the workspace."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not (hasattr(request.user, "agent_profile") or request.user.is_staff):
            raise PermissionDenied("This login is not an agent.")
        return view(request, *args, **kwargs)

    return wrapped


class Refused(Exception):
    """A form's refusal inside an interaction_action view, with what to show beside it (e.g. error_at_done=True)."""

    def __init__(self, message: str, **shown):
        super().__init__(message)
        self.shown = shown


def interaction_action(*, status: int = 422, draft_field: str = "", **shown):
    """The one shape of every action on an interaction. Someone else's interaction is a 404, never a hint that it
    exists; a refusal, the form's (Refused, 422) or the service's (InteractionError, `status`), shows the
    interaction again with the reason in words. `shown` says where (error_at_composer=True: beside Send), and
    `draft_field` keeps what was typed there, so a refusal never loses a draft."""

    def decorate(view):
        @wraps(view)
        def run(request, interaction_id: int, *args, **kwargs):
            try:
                return view(request, interaction_id, *args, **kwargs)
            except NotYours as exc:
                raise Http404(str(exc)) from exc
            except (Refused, InteractionError) as exc:
                extra = dict(shown)
                if draft_field:
                    extra["draft"] = str(request.POST.get(draft_field, "")).replace("\x00", "")
                if isinstance(exc, Refused):
                    extra.update(exc.shown)
                code = 422 if isinstance(exc, Refused) else status
                return _render_interaction(request, interaction_id, status=code, error=str(exc), **extra)

        return run

    return decorate


def _conversation_context(request, interaction, **extra) -> dict:
    """What the interaction partial needs: the conversation, a fresh idempotency key for the next Send,
    the tweet a reply answers by default (the customer's latest), and the disposition labels."""
    conversation = selectors.conversation_view(interaction=interaction)
    inbound = [t for t, _ in conversation["tree"] or [] if t.direction == "in" and t.external_id]
    # By default the reply answers the latest tweet X lets the account answer in public (if any).
    inbound = [t for t in inbound if not getattr(t, "reply_refusal", "")] or inbound
    return {
        "interaction": interaction,
        "conversation": conversation,
        "idempotency_key": uuid.uuid4().hex,
        "reply_to": inbound[-1] if inbound else None,
        "labels": Label.objects.filter(is_active=True),
        **extra,
    }


def _render_interaction(request, interaction_id: int, *, status=200, **extra) -> HttpResponse:
    """The interaction: its partial for htmx, the whole workspace with it open for a page load (the interaction's
    URL is what the browser shows while it is open, so a reload or Back lands here)."""
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id)
    if found is None:
        if not request.htmx:  # a reload of a conversation that has gone: the workspace, saying so in the centre
            return _workspace(request, context={"gone": gone_text(request.path)}, status=404)
        raise Http404("No such interaction.")  # workspace/gone.py answers htmx with the same notice
    context = _conversation_context(request, found, **extra)
    if not request.htmx:
        response = _workspace(request, context=context, status=status)
    else:
        response = render(request, "workspace/partials/_interaction.html", context, status=status)
        if extra.get("error_at_composer") and found.allowed.compose:
            # Said once, in the composer: only its error line is swapped, so the header does not move and the draft,
            # an attached image and the reply target stay as the agent left them (nothing was kept under the key).
            line = f"#composer-error-{found.pk}"
            response = reselect(retarget(reswap(response, "outerHTML"), line), line)
    patch_vary_headers(response, ("HX-Request",))  # one URL, two answers: a cache must keep them apart
    return response


def topbar_context(request) -> dict:
    """What the top bar (_topbar.html) of the workspace and the Connect view shows: the Ready toggles."""
    presences = selectors.presence_by_channel(agent=request.user)
    return {"presences": presences, "ready_on": selectors.ready_on(presences), "reasons": selectors.not_ready_reasons()}


def _workspace(request, *, context=None, status=200) -> HttpResponse:
    context = {
        **(context or {}),
        **topbar_context(request),
        "interactions": selectors.agent_open_interactions(agent=request.user),
    }
    if context.get("interaction"):
        context["open_id"] = context["interaction"].pk
    return render(request, "workspace/home.html", context, status=status)


def _open_interaction_id(request) -> int | None:
    """The interaction the page shows (its URL is in the address bar while it is open): the list marks its row."""
    path = (request.htmx.current_url_abs_path or "").split("?")[0] if request.htmx else ""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.kwargs.get("interaction_id") if match.url_name == "interaction" else None


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
        presence_set(agent=request.user, **form.cleaned_data)
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
    context = {
        "interactions": selectors.agent_open_interactions(agent=request.user),
        "ready_on": selectors.ready_on(selectors.presence_by_channel(agent=request.user)),  # for an empty list
        "open_id": _open_interaction_id(request),
    }
    return render(request, "workspace/partials/_interaction_list.html", context)


@require_safe
@agent_required
def interaction(request: HttpRequest, interaction_id: int) -> HttpResponse:
    # Opened by its agent: what the customer wrote so far is read (the list's unread dot goes). Anyone else: no-op.
    interaction_mark_read(interaction_id=interaction_id, agent=request.user)
    return _render_interaction(request, interaction_id)


@require_safe
@agent_required
def interaction_access(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Whether the open interaction is still the agent's: nothing (204) while it is, a notice once a supervisor has
    reassigned or requeued it. The page locks the view then, keeping whatever the agent had typed."""
    taken = selectors.interaction_taken_from(agent=request.user, interaction_id=interaction_id)
    if taken is not None:
        return render(request, "workspace/partials/_taken_notice.html", {"taken": taken})
    if selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id, with_messages=False):
        return HttpResponse(status=204)
    raise Http404("No such interaction.")


@require_safe
@agent_required
def interaction_conversation(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Only the transcript or tweet tree: what pushes refresh, so a draft in the composer is never lost."""
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id)
    if found is None:
        raise Http404("No such interaction.")
    interaction_mark_read(interaction_id=found.pk, agent=request.user)  # re-fetched on each new message while open
    return render(request, "workspace/partials/_conversation.html", _conversation_context(request, found))


@require_POST
@agent_required
@interaction_action(error_at_composer=True, draft_field="text")
def interaction_send(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Write a message + Send: a DM, or a public reply to one tweet; the outbox sends it after commit.
    A refusal (the form's or the outbox's) is shown beside Send, with the draft kept."""
    form = SendForm(request.POST, request.FILES)
    if not form.is_valid():
        raise Refused(form.refusal())
    data = form.cleaned_data
    found = selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id, with_messages=False)
    if found is None:
        raise Http404("No such interaction.")
    if found.kind == "twitter":
        outbox.outbox_reply(interaction_id=interaction_id, agent=request.user, text=data["text"], image=data["image"],
                            in_reply_to_tweet_id=data["in_reply_to_tweet_id"], idempotency_key=form.key())  # fmt: skip
    else:
        outbox.outbox_send_dm(interaction_id=interaction_id, agent=request.user, text=data["text"],
                              image=data["image"], idempotency_key=form.key())  # fmt: skip
    return _render_interaction(request, interaction_id)


@require_POST
@agent_required
@interaction_action()
def interaction_like(request: HttpRequest, interaction_id: int) -> HttpResponse:
    form = LikeForm(request.POST)
    if not form.is_valid():
        raise Refused(form.refusal())
    outbox.outbox_like(interaction_id=interaction_id, agent=request.user, tweet_id=form.cleaned_data["tweet_id"],
                       idempotency_key=form.key())  # fmt: skip
    return _render_interaction(request, interaction_id)


def _open_chat(request, chat) -> HttpResponse:
    """The DM composer of the contact's Chat interaction, in the centre, its URL in the address bar."""
    interaction_mark_read(interaction_id=chat.pk, agent=request.user)  # on screen from now on
    if not request.htmx:
        return redirect("workspace:interaction", interaction_id=chat.pk)
    response = push_url(_render_interaction(request, chat.pk), reverse("workspace:interaction", args=[chat.pk]))
    return trigger_client_event(response, "perch:interactions.changed")


@require_POST
@agent_required
@interaction_action(status=409)
def interaction_reply_by_dm(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Reply by DM on a tweet X would not let the account answer in public: opens the DM to its author."""
    form = TweetForm(request.POST)
    if not form.is_valid():
        raise Refused(form.refusal())
    chat = handoff.interaction_reply_by_dm(
        interaction_id=interaction_id, agent=request.user, tweet_id=form.cleaned_data["tweet_id"]
    )
    return _open_chat(request, chat)


@require_POST
@agent_required
@interaction_action(status=409)
def interaction_move_to_dm(request: HttpRequest, interaction_id: int) -> HttpResponse:
    """Move to DM: the account's short public reply under the tweet, then the DM composer for the customer."""
    form = MoveToDMForm(request.POST)
    if not form.is_valid():
        raise Refused(form.refusal())
    chat = handoff.interaction_move_to_dm(
        interaction_id=interaction_id, agent=request.user, tweet_id=form.cleaned_data["tweet_id"],
        idempotency_key=form.key(),
    )  # fmt: skip
    return _open_chat(request, chat)


@require_POST
@agent_required
@interaction_action(status=409)
def interaction_end(request: HttpRequest, interaction_id: int) -> HttpResponse:
    interaction_services.interaction_end(interaction_id=interaction_id, agent=request.user)
    return trigger_client_event(_render_interaction(request, interaction_id), "perch:interactions.changed")


@require_POST
@agent_required
@interaction_action(status=409)
def interaction_done(request: HttpRequest, interaction_id: int) -> HttpResponse:
    form = MarkDoneForm(request.POST)
    if not form.is_valid():  # never done without the disposition the agent picked: asked again, with what they wrote
        raise Refused(form.refusal(), error_at_done=True, done_note=form.typed("note"),
                      done_disposition=form.typed("disposition"))  # fmt: skip
    disposition = form.cleaned_data["disposition"]
    interaction_services.interaction_mark_done(
        interaction_id=interaction_id, agent=request.user, disposition=disposition, note=form.cleaned_data["note"]
    )
    if not request.htmx:
        return redirect("workspace:home")
    response = render(request, "workspace/partials/_done.html", {"disposition": disposition})  # + the right panel reset
    # Nothing is open any more: the URL says so, and a reload shows the workspace, not the finished conversation.
    # After the swap: the right panel's parts about this contact are gone by then, so none of them re-fetches a
    # contact the agent may no longer see (a 404 the browser logs).
    return trigger_client_event(
        push_url(response, reverse("workspace:home")), "perch:interactions.changed", after="swap"
    )


def _own_offer(request, offer_id: int) -> Offer:
    return get_object_or_404(Offer, pk=offer_id, agent=request.user)


@require_POST
@agent_required
def offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    try:
        interaction_services.offer_accept(offer_id=offer.pk, agent=request.user)
    except InteractionError as exc:
        response = render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=409)
        # Said in the page's notice slot: the centre keeps the conversation the agent is working on.
        return trigger_client_event(reswap(retarget(response, "#page-notice"), "innerHTML"), "perch:offers.changed")
    interaction_mark_read(interaction_id=offer.interaction_id, agent=request.user)  # on screen from now on
    if not request.htmx:
        return redirect("workspace:interaction", interaction_id=offer.interaction_id)
    # The accepted interaction is what the page shows now: its URL goes in the address bar (reload, Back, Forward).
    response = push_url(_render_interaction(request, offer.interaction_id),
                        reverse("workspace:interaction", args=[offer.interaction_id]))  # fmt: skip
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
    """An image of a message, to agents who may see its interaction (never a public media URL). Served only as what
    its decoder says it is, never as a page: nosniff and a sandbox CSP; a stored file that is no image is a 404."""
    message = get_object_or_404(Message, pk=message_id)
    visible = selectors.interaction_for_agent(
        agent=request.user, interaction_id=message.interaction_id, with_messages=False
    )
    if visible is None:
        raise Http404("No such image.")
    try:
        name = message.media[index]["file"]
    except (IndexError, KeyError, TypeError) as exc:
        raise Http404("No such image.") from exc
    if not isinstance(name, str) or not default_storage.exists(name):
        raise Http404("No such image.")
    file = default_storage.open(name)
    image = stored_image_type(file)
    if image is None:  # stored before images were re-encoded: a page or a script under an image's name
        file.close()
        raise Http404("No such image.")
    file.seek(0)
    response = FileResponse(file, content_type=image.content_type, filename=image.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"  # opened as a page anyway, it could run nothing
    return response


@require_POST
@agent_required
def message_retry(request: HttpRequest, message_id: int) -> HttpResponse:
    message = Message.objects.filter(pk=message_id).only("interaction_id").first()
    if message is None or not selectors.interaction_for_agent(
        agent=request.user, interaction_id=message.interaction_id, with_messages=False
    ):
        raise Http404("No such message.")  # deny first: a message the agent may not see is 404, whatever it is
    try:
        message = outbox.outbox_retry(message_id=message_id, agent=request.user)
    except InteractionError as exc:
        if isinstance(exc, NotYours):
            raise Http404(str(exc)) from exc
        return render(request, "workspace/partials/_notice.html", {"message": str(exc)}, status=409)
    return redirect("workspace:interaction", interaction_id=message.interaction_id)


@require_POST
@agent_required
@interaction_action()
def interaction_sentiment(request: HttpRequest, interaction_id: int) -> HttpResponse:
    if selectors.interaction_for_agent(agent=request.user, interaction_id=interaction_id, with_messages=False) is None:
        raise Http404("No such interaction.")  # deny first: someone else's interaction is 404 whatever was posted
    form = SentimentForm(request.POST)
    if not form.is_valid():
        raise Refused(form.refusal())
    interaction_services.interaction_set_sentiment(
        interaction_id=interaction_id, agent=request.user, sentiment=form.cleaned_data["sentiment"]
    )
    return redirect("workspace:interaction", interaction_id=interaction_id)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis and Celery work; X accounts are listed for operators but do not fail it
    (a load balancer must not drop web servers because one X account needs reconnecting)."""
    healthy, checks = run_checks()
    body = {"status": "ok" if healthy else "degraded", "checks": checks, "accounts": None}
    if checks["database"] == "ok":
        body["accounts"] = account_health()
    return JsonResponse(body, status=200 if healthy else 503)
