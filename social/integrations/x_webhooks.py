"""X's answers about webhooks and X Activity API subscriptions (/2/webhooks, /2/activity/subscriptions) → Perch's
view of them. Shapes as openapi.json documents them (CreateWebhooksResponse, GetWebhooksResponse,
CreateActivitySubscriptionResponse, GetActivitySubscriptionsResponse); an answer of another shape is an error
worth retrying, never a crash."""

from dataclasses import dataclass

from social.integrations.x_errors import XTransient
from social.integrations.x_payloads import PayloadError, display, object_at, optional_x_id, x_id


@dataclass(frozen=True)
class WebhookConfig:
    id: str
    url: str
    valid: bool
    created_at: str = ""


@dataclass(frozen=True)
class ActivitySubscription:
    id: str
    event_type: str
    user_id: str = ""
    webhook_id: str = ""
    tag: str = ""


def _shape(what: str, parse, body):
    try:
        return parse(body)
    except (PayloadError, AttributeError, TypeError) as exc:
        raise XTransient(f"X answered {what} in a shape Perch does not know ({exc}).") from exc


def _webhook(data) -> WebhookConfig:
    if not isinstance(data, dict):
        raise PayloadError("a webhook config is not an object")
    return WebhookConfig(
        id=x_id(data.get("id"), "the webhook id"),
        url=display(data.get("url"), 500),
        valid=data.get("valid") is True,
        created_at=display(data.get("created_at"), 40),
    )


def parse_webhook(body) -> WebhookConfig:
    """POST /2/webhooks → `{"data": {"id", "url", "valid", "created_at"}}`."""
    return _shape("the new webhook", lambda b: _webhook(b.get("data")), body)


def parse_webhooks(body) -> list[WebhookConfig]:
    """GET /2/webhooks → `{"data": [webhook config, ...], "meta": {"result_count"}}` (data may be empty)."""
    return _shape("the list of webhooks", lambda b: [_webhook(w) for w in b.get("data") or []], body)


def parse_validated(body) -> bool:
    """PUT /2/webhooks/{id} → `{"data": {"valid"}}`."""
    return _shape("the CRC check", lambda b: object_at(b, "data").get("valid") is True, body)


def _subscription(data) -> ActivitySubscription:
    if not isinstance(data, dict):
        raise PayloadError("a subscription is not an object")
    return ActivitySubscription(
        id=x_id(data.get("subscription_id"), "the subscription id"),
        event_type=display(data.get("event_type"), 64),
        user_id=optional_x_id(object_at(data, "filter").get("user_id"), "filter.user_id"),
        webhook_id=optional_x_id(data.get("webhook_id"), "webhook_id"),
        tag=display(data.get("tag"), 200),
    )


def parse_subscription_created(body) -> ActivitySubscription:
    """POST /2/activity/subscriptions → `{"data": {"subscription": {...}}}` (openapi.json); X's quickstart shows the
    subscription straight under `data`, so both are read."""

    def parse(b):
        data = object_at(b, "data")
        return _subscription(data.get("subscription") if isinstance(data.get("subscription"), dict) else data)

    return _shape("the new subscription", parse, body)


def parse_subscriptions(body) -> tuple[list[ActivitySubscription], str]:
    """GET /2/activity/subscriptions → `{"data": [subscription, ...], "meta": {"next_token"?}}`."""

    def parse(b):
        token = object_at(b, "meta").get("next_token")
        return [_subscription(s) for s in b.get("data") or []], token if isinstance(token, str) else ""

    return _shape("the list of subscriptions", parse, body)
