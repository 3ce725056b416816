"""Direct messages: the acting user's DM events, one conversation's events, and sending a 1:1 DM."""

from social.sandbox import paging, selectors, services
from social.sandbox.errors import Problem
from social.sandbox.http import base_url, json_body, x_endpoint
from social.sandbox.models import SandboxUser
from social.sandbox.wire import DM_EXPANSIONS, Renderer

EVENT_TYPES = {"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}


def _events(request, queryset):
    renderer = Renderer(request, base_url(request), expansions=DM_EXPANSIONS)
    if types := request.GET.get("event_types"):
        for value in types.split(","):
            if value not in EVENT_TYPES:
                allowed = ",".join(sorted(EVENT_TYPES))
                message = f"The `event_types` query parameter value [{value}] is not one of [{allowed}]"
                raise Problem.invalid(message, "event_types", value)
        if "MessageCreate" not in types.split(","):
            queryset = queryset.none()  # the sandbox has only MessageCreate events
    events, meta = paging.page(request, queryset, default=100, low=1, high=100)
    # X's DM timelines carry no newest_id / oldest_id in meta.
    meta = {key: value for key, value in meta.items() if key not in ("newest_id", "oldest_id")}
    body = renderer.body([renderer.dm(e) for e in events]) if events else {}
    body["meta"] = meta
    return 200, body


@x_endpoint("dm_events")
def dm_events(request, user):
    return _events(request, selectors.dm_events_of(user))


@x_endpoint("dm_events")
def conversation_events(request, user, participant_id):
    if not participant_id.isdigit():
        message = f"The `participant_id` path parameter value [{participant_id}] is not valid"
        raise Problem.invalid(message, "participant_id", participant_id)
    return _events(request, selectors.conversation_events(user, participant_id))


@x_endpoint("dm_send")
def send_message(request, user, participant_id):
    recipient = SandboxUser.objects.filter(pk=participant_id).first()
    if recipient is None:
        message = f"The `participant_id` value [{participant_id}] is not a user the sandbox knows."
        raise Problem.invalid(message, "participant_id", participant_id)
    body = json_body(request)
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise Problem.invalid('`attachments` must be a list of {"media_id": ...}.', "attachments", str(attachments))
    event = services.sandbox_dm_send(
        sender=user,
        recipient=recipient,
        text=str(body.get("text") or ""),
        media_ids=[str(a.get("media_id", "")) for a in attachments],
    )
    return 201, {"data": {"dm_conversation_id": event.conversation_id, "dm_event_id": event.pk}}
