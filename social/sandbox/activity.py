"""The X Activity API's management routes: webhooks (/2/webhooks) and subscriptions (/2/activity/subscriptions),
with the shapes, ids, authentication and errors of X's openapi.json and x-api/webhooks/quickstart.mdx.

Authentication as openapi.json lists it: creating, checking and deleting a webhook and creating or listing
subscriptions take OAuth 1.0a user context or the app's Bearer token; listing webhooks and deleting a subscription
take only the Bearer token. A webhook is created only after its URL passed a CRC check (X's failure reasons:
UrlValidationFailed, CrcValidationFailed, DuplicateUrlFailed, WebhookIdInvalid)."""

import re

from social.sandbox import paging, webhooks
from social.sandbox.auth import calling_app
from social.sandbox.errors import Problem
from social.sandbox.http import json_body, x_endpoint
from social.sandbox.ids import new_id
from social.sandbox.models import SandboxSubscription, SandboxUser, SandboxWebhook
from social.sandbox.wire import iso

URL_MAX_LENGTH = 200
WEBHOOK_FIELDS = {"created_at", "id", "url", "valid"}
WEBHOOK_ID = re.compile(r"[0-9]{1,19}")
# openapi.json's CreateActivitySubscriptionRequest.event_type, plus oauth.revoke: x-api/activity/introduction.mdx
# lists it among the event types (its filter: none) though the enum leaves it out.
EVENT_TYPES = set(
    "profile.update.bio profile.update.profile_picture profile.update.banner_picture profile.update.screenname "
    "profile.update.geo profile.update.url profile.update.verified_badge profile.update.affiliate_badge "
    "profile.update.handle news.new follow.follow follow.unfollow spaces.start spaces.end broadcast.start "
    "broadcast.end broadcast.chat chat.received chat.sent chat.conversation.join chat.conversation_join "
    "chat.conversation.member_added chat.conversation.member_removed chat.conversation.admin_added "
    "chat.conversation.admin_removed chat.update.group_name chat.update.restrictions dm.sent dm.received "
    "dm.indicate_typing dm.read post.create post.delete post.mention.create post.reply.create post.quote.create "
    "post.repost.create like.create mute.mute mute.unmute block.block block.unblock oauth.revoke".split()
)
ALIASES = {"chat.conversation_join": "chat.conversation.join"}  # "responses always use the canonical name"
# Private events (introduction.mdx): only for a user who authorized the app, with that user's own context.
PRIVATE = ("dm.", "chat.", "like.", "mute.", "block.", "post.mention.", "post.reply.", "post.quote.", "post.repost.")
PRIVATE_EXTRA = {"broadcast.chat"}
FILTER_KEYS = {"user_id", "direction", "keyword"}


# --- Webhooks ---------------------------------------------------------------------------------------------------
def webhook_json(hook: SandboxWebhook) -> dict:
    return {"created_at": iso(hook.created_at), "id": hook.pk, "url": hook.url, "valid": hook.valid}


def _own_webhook(app, webhook_id: str) -> SandboxWebhook:
    hook = SandboxWebhook.objects.filter(pk=webhook_id, app=app).first() if WEBHOOK_ID.fullmatch(webhook_id) else None
    if hook is None:
        raise Problem.invalid(
            "WebhookIdInvalid: the webhook_id was not found or is not associated with your app", "webhook_id",
            webhook_id,
        )  # fmt: skip
    return hook


@x_endpoint("webhooks", app_allowed=True)
def create_webhook(request, user):
    """POST /2/webhooks {"url"}: registered only when the URL is one the sandbox may call and answers the CRC."""
    app = calling_app(request)
    url = json_body(request).get("url")
    if not isinstance(url, str) or not 1 <= len(url) <= URL_MAX_LENGTH:
        raise Problem.invalid(f"The `url` field must be a URL of 1 to {URL_MAX_LENGTH} characters.", "url", str(url))
    if refusal := webhooks.perch_webhook_refusal(url, request=request):
        raise Problem.invalid(f"UrlValidationFailed: {refusal}", "url", url)
    if SandboxWebhook.objects.filter(app=app, url=url).exists():
        raise Problem.invalid(
            "DuplicateUrlFailed: a webhook is already registered by your app for this URL", "url", url
        )
    if refusal := webhooks.crc_refusal(url, app.consumer_secret):
        raise Problem.invalid(f"CrcValidationFailed: {refusal}", "url", url)
    hook = SandboxWebhook.objects.create(id=new_id(), app=app, url=url, valid=True)
    return 200, {"data": webhook_json(hook)}


@x_endpoint("webhooks", app_only=True)
def list_webhooks(request, user):
    """GET /2/webhooks: the app's webhooks (`webhook_config.fields` may name any of X's four fields)."""
    app = calling_app(request)
    for field in [f for f in request.GET.get("webhook_config.fields", "").split(",") if f]:
        if field not in WEBHOOK_FIELDS:
            allowed = ",".join(sorted(WEBHOOK_FIELDS))
            message = f"The `webhook_config.fields` query parameter value [{field}] is not one of [{allowed}]"
            raise Problem.invalid(message, "webhook_config.fields", field)
    hooks = [webhook_json(h) for h in SandboxWebhook.objects.filter(app=app).order_by("created_at", "pk")]
    return 200, {"data": hooks, "meta": {"result_count": len(hooks)}}


@x_endpoint("webhooks", app_allowed=True)
def validate_webhook(request, user, webhook_id):
    """PUT /2/webhooks/{id}: a new CRC check; the webhook is valid again when it passes, invalid when it fails."""
    hook = _own_webhook(calling_app(request), webhook_id)
    refusal = webhooks.crc_refusal(hook.url, hook.app.consumer_secret)
    hook.valid = not refusal
    hook.save(update_fields=["valid"])
    if refusal:  # answered, not raised: a raised Problem would roll back the webhook's new invalid state
        return 400, Problem.invalid(f"CrcValidationFailed: {refusal}", "webhook_id", webhook_id).body
    return 200, {"data": {"valid": True}}


@x_endpoint("webhooks", app_allowed=True)
def delete_webhook(request, user, webhook_id):
    """DELETE /2/webhooks/{id}: its subscriptions stay, delivering nowhere until given another webhook."""
    _own_webhook(calling_app(request), webhook_id).delete()
    return 200, {"data": {"deleted": True}}


# --- Subscriptions ------------------------------------------------------------------------------------------------
def subscription_json(subscription: SandboxSubscription) -> dict:
    data = {
        "created_at": iso(subscription.created_at),
        "event_type": subscription.event_type,
        "filter": {"user_id": subscription.user_id} if subscription.user_id else {},
        "subscription_id": subscription.pk,
        "updated_at": iso(subscription.updated_at),
    }
    if subscription.tag:
        data["tag"] = subscription.tag
    if subscription.webhook_id:
        data["webhook_id"] = subscription.webhook_id
    return data


def _private(event_type: str) -> bool:
    return event_type.startswith(PRIVATE) or event_type in PRIVATE_EXTRA


def _filter(body: dict, event_type: str) -> SandboxUser | None:
    given = body.get("filter")
    if not isinstance(given, dict):
        raise Problem.invalid("The `filter` field is required and must be an object.", "filter", str(given))
    for key in sorted(set(given) - FILTER_KEYS):
        raise Problem.invalid(f"The `filter` field has no property [{key}].", "filter", key)
    if given.get("direction") not in (None, "inbound", "outbound"):
        raise Problem.invalid("`filter.direction` must be inbound or outbound.", "filter.direction", str(given))
    user_id = given.get("user_id")
    if user_id in (None, "") and event_type in ("oauth.revoke", "news.new"):
        return None
    if not isinstance(user_id, str) or not user_id.isdigit():
        raise Problem.invalid("`filter.user_id` must be a user id.", "filter.user_id", str(user_id))
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None:
        raise Problem.invalid(f"`filter.user_id` [{user_id}] is not a user.", "filter.user_id", user_id)
    return user


@x_endpoint("activity_subscriptions", app_allowed=True)
def create_subscription(request, user):
    """POST /2/activity/subscriptions {"event_type", "filter": {"user_id"}, "tag"?, "webhook_id"?}."""
    app = calling_app(request)
    body = json_body(request)
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise Problem.invalid(f"`event_type` [{event_type}] is not an X Activity event type.", "event_type", "")
    event_type = ALIASES.get(event_type, event_type)
    filtered = _filter(body, event_type)
    if _private(event_type) and (user is None or filtered is None or user.pk != filtered.pk):
        raise Problem(
            403, f"{event_type} is a private event: subscribe to it with the user context of the user it filters on."
        )
    tag = body.get("tag")
    if tag is not None and (not isinstance(tag, str) or not 1 <= len(tag) <= 200):
        raise Problem.invalid("`tag` must be 1 to 200 characters.", "tag", str(tag))
    webhook_id = body.get("webhook_id")
    if not isinstance(webhook_id, str | None):
        raise Problem.invalid("`webhook_id` must be a webhook id.", "webhook_id", str(webhook_id))
    hook = _own_webhook(app, webhook_id) if webhook_id is not None else None
    if SandboxSubscription.objects.filter(app=app, event_type=event_type, user=filtered, webhook=hook).exists():
        raise Problem.invalid(
            f"DuplicateSubscription: your app already subscribes to {event_type} for this filter and webhook.",
            "event_type", event_type,
        )  # fmt: skip
    subscription = SandboxSubscription.objects.create(
        id=new_id(), app=app, webhook=hook, event_type=event_type, user=filtered, tag=tag or ""
    )
    return 200, {"data": {"subscription": subscription_json(subscription)}}


@x_endpoint("activity_subscriptions", app_allowed=True)
def list_subscriptions(request, user):
    """GET /2/activity/subscriptions: the app's subscriptions, oldest first, `max_results` (1-1000) a page."""
    app = calling_app(request)
    size = paging.max_results(request, default=100, low=1, high=1000)
    found = SandboxSubscription.objects.filter(app=app).order_by("pk")
    total = found.count()
    if token := request.GET.get("pagination_token", ""):
        found = found.filter(pk__gt=paging.decode_token(token)[1])
    items = list(found[: size + 1])
    meta = {"total_subscriptions": total}
    if len(items) > size:
        items = items[:size]
        meta["next_token"] = paging.encode_token("n", items[-1].pk)
    return 200, {"data": [subscription_json(s) for s in items], "meta": meta}


@x_endpoint("activity_subscriptions", app_only=True)
def delete_subscription(request, user, subscription_id):
    """DELETE /2/activity/subscriptions/{id} (the app's Bearer token only)."""
    app = calling_app(request)
    subscription = SandboxSubscription.objects.filter(pk=subscription_id, app=app).first()
    if subscription is None:
        raise Problem.not_found(resource_type="subscription", parameter="subscription_id", value=subscription_id)
    subscription.delete()
    remaining = SandboxSubscription.objects.filter(app=app).count()
    return 200, {"data": {"deleted": True}, "meta": {"total_subscriptions": remaining}}
