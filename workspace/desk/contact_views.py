"""The Contact tab: the contact card (every channel, the default outbound one, the assigned agent, notes), Edit
contact, Add channel and Remove, and the contact's history. Every view asks selectors.contact_for_agent first: a
contact the agent may not see is a 404, whatever was posted. Refusals come back in words, with status 422."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from contacts import services
from contacts.errors import ContactError, IdentityTaken
from interactions.selectors import contact_history
from workspace.desk import selectors
from workspace.desk.contact_forms import ContactForm, IdentityForm
from workspace.desk.views import agent_required


def _visible_contact(request: HttpRequest, contact_id: int):
    contact = selectors.contact_for_agent(agent=request.user, contact_id=contact_id)
    if contact is None:
        raise Http404("No such contact.")
    return contact


def _card(request: HttpRequest, contact_id: int, *, status: int = 200, **extra) -> HttpResponse:
    """The card again, as saved (the Add channel and Remove forms swap it whole, in the Contact tab or elsewhere)."""
    context = {"contact": _visible_contact(request, contact_id), "editable": True, **extra}
    return render(request, "workspace/partials/_contact_card.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_required
def contact_tab(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET: the tab. POST: Edit contact's save (name, notes, default outbound channel). `?part=history`: the history
    alone, which refreshes itself as messages arrive (the forms above it keep what the agent is typing)."""
    contact = _visible_contact(request, contact_id)
    history = contact_history(contact_id=contact.pk)
    if request.method == "GET" and request.GET.get("part") == "history":
        return render(request, "workspace/partials/_contact_history.html", {"contact": contact, "history": history})
    form = ContactForm(request.POST or None, contact=contact)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact_id=contact.pk, actor=request.user, fields=form.cleaned_data)
            saved = True
        except ContactError as exc:
            form.add_error("default_outbound_channel", str(exc))
    if saved:
        contact = _visible_contact(request, contact_id)  # as saved, identities too
        form = ContactForm(contact=contact)
    context = {"contact": contact, "form": form, "saved": saved, "history": history}
    status = 422 if request.method == "POST" and not saved else 200
    return render(request, "workspace/partials/_contact_tab.html", context, status=status)


@require_POST
@agent_required
def contact_identity_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Add channel: an email address, a phone number (SMS, WhatsApp), an X account or a chat visitor id."""
    contact = _visible_contact(request, contact_id)
    form = IdentityForm(request.POST)
    refusal, named = "", contact.display_name  # `named`: the customer's name in the refusal, isolated when shown
    if not form.is_valid():
        refusal = form.refusal()
    else:
        try:
            services.contact_identity_add(contact_id=contact.pk, actor=request.user, **form.cleaned_data)
        except IdentityTaken as exc:
            # Named only to an agent who may see that contact; anyone else hears "another contact".
            owner = selectors.contact_for_agent(agent=request.user, contact_id=exc.owner_id)
            refusal, named = exc.naming(owner.display_name if owner else None), owner.display_name if owner else ""
        except ContactError as exc:
            refusal = str(exc)
    if refusal:
        typed = {"channel": form.typed("channel"), "value": form.typed("value"), "handle": form.typed("handle")}
        return _card(request, contact.pk, status=422, add_refusal=refusal, add_refusal_name=named, add_typed=typed)
    return _card(request, contact.pk, added=True)


@require_POST
@agent_required
def contact_identity_remove(request: HttpRequest, contact_id: int, identity_id: int) -> HttpResponse:
    contact = _visible_contact(request, contact_id)
    if not any(identity.pk == identity_id for identity in contact.identities.all()):
        raise Http404("No such channel on this contact.")
    try:
        services.contact_identity_remove(identity_id=identity_id, actor=request.user)
    except ContactError as exc:
        return _card(request, contact.pk, status=422, remove_refusal=str(exc), refused_identity=identity_id)
    return _card(request, contact.pk)
