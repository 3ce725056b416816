"""The X Activity API's webhook, subscriptions and replay, as XClient's methods.

tweepy has no methods for these routes: they go through its session and signing (`Client.request`) all the same.
X takes OAuth 1.0a user context where openapi.json lists `UserToken`, and only the app's Bearer token for listing
webhooks, deleting a subscription and replaying. A mixin of XClient: every call goes through its `_call`.
"""

from social.integrations import x_replay, x_webhooks
from social.integrations.x_errors import XError, XUnauthorized


class ActivityAPI:
    def _activity(self, method: str, route: str, *, bearer: bool = False, **kwargs):
        return self._client.request(method, route, user_auth=not bearer, **kwargs)

    def _app_call(self, endpoint: str, action: str, route: str, method: str, **kwargs) -> dict:
        """A call X accepts only with the app's Bearer token: refused here in words when the account has none; a 401
        is about that token, not the user's (the account does not need reconnecting for it)."""
        if not self.credentials.bearer_token:
            raise XError(f"X wants the app's Bearer token to {action}: add it to the account's credentials.")
        try:
            return self._call(endpoint, action, self._activity, method, route, bearer=True, **kwargs)
        except XUnauthorized as exc:
            raise XError(
                f"X did not accept the app's Bearer token while trying to {action} (401): replace it in the "
                "account's credentials.",
                status=401,
            ) from exc

    def create_webhook(self, *, url: str) -> x_webhooks.WebhookConfig:
        """POST /2/webhooks: X checks the URL with a CRC before it answers."""
        body = self._call("webhooks", "register the webhook", self._activity, "POST", "/2/webhooks", json={"url": url})
        return x_webhooks.parse_webhook(body)

    def webhooks(self) -> list[x_webhooks.WebhookConfig]:
        """GET /2/webhooks: the app's webhooks (Bearer token only)."""
        return x_webhooks.parse_webhooks(self._app_call("webhooks", "list the app's webhooks", "/2/webhooks", "GET"))

    def validate_webhook(self, *, webhook_id: str) -> bool:
        """PUT /2/webhooks/{id}: a new CRC check; True when it passed and the webhook is valid again."""
        body = self._call("webhooks", "check the webhook", self._activity, "PUT", f"/2/webhooks/{webhook_id}")
        return x_webhooks.parse_validated(body)

    def delete_webhook(self, *, webhook_id: str) -> None:
        self._call("webhooks", "delete the webhook", self._activity, "DELETE", f"/2/webhooks/{webhook_id}")

    def create_subscription(
        self, *, event_type: str, user_id: str, webhook_id: str, tag: str = ""
    ) -> x_webhooks.ActivitySubscription:
        """POST /2/activity/subscriptions for one event type of one user, delivered to the webhook."""
        payload = {"event_type": event_type, "filter": {"user_id": user_id}, "webhook_id": webhook_id}
        if tag:
            payload["tag"] = tag
        body = self._call(
            "activity_subscriptions", f"subscribe to {event_type}", self._activity, "POST",
            "/2/activity/subscriptions", json=payload,
        )  # fmt: skip
        return x_webhooks.parse_subscription_created(body)

    def subscriptions(self, *, max_pages: int = 10) -> list[x_webhooks.ActivitySubscription]:
        """GET /2/activity/subscriptions: the app's subscriptions, every page (up to 1,000 each)."""
        found, token = [], ""
        for _ in range(max_pages):
            params = {"max_results": 1000, **({"pagination_token": token} if token else {})}
            body = self._call(
                "activity_subscriptions", "list the subscriptions", self._activity, "GET",
                "/2/activity/subscriptions", params=params,
            )  # fmt: skip
            page, token = x_webhooks.parse_subscriptions(body)
            found += page
            if not token:
                break
        return found

    def delete_subscription(self, *, subscription_id: str) -> None:
        """DELETE /2/activity/subscriptions/{id} (Bearer token only)."""
        self._app_call(
            "activity_subscriptions", "delete a subscription", f"/2/activity/subscriptions/{subscription_id}", "DELETE"
        )

    def replay_webhook(self, *, webhook_id: str, from_date: str, to_date: str) -> x_replay.ReplayJob:
        """POST /2/webhooks/replay (the app's Bearer token only): X delivers again to the webhook what it delivered
        or tried to deliver from `from_date` to `to_date` (UTC `yyyymmddhhmm`, within the last 24 h), then a
        `replay_job_status` message. One job per webhook at a time (ReplayConflictError)."""
        body = self._app_call(
            "webhooks_replay", "replay the webhook's deliveries", "/2/webhooks/replay", "POST",
            json={"webhook_id": webhook_id, "from_date": from_date, "to_date": to_date},
        )  # fmt: skip
        return x_replay.parse_replay_job(body)
