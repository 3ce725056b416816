"""The X API client — the only module that imports tweepy.

The rest of Perch sees Perch dataclasses and Perch errors, never tweepy objects. tweepy hard-codes X's hosts,
so a requests adapter mounted on its sessions rewrites them to the account's API base URL (Perch's sandbox in
the demo and the tests). `wait_on_rate_limit` is never used: a 429 becomes XRateLimited and the caller
reschedules, instead of a worker slot sleeping for up to 15 minutes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
import tweepy
from django.conf import settings
from requests.adapters import HTTPAdapter

from social import budget
from social.integrations.x_activity_calls import ActivityAPI
from social.integrations.x_errors import (  # noqa: F401  (re-exported: callers import errors from the client)
    XAccessRefused,
    XBadRequest,
    XDMsClosed,
    XError,
    XForbidden,
    XMediaRefused,
    XNotFound,
    XNotSummoned,
    XRateLimited,
    XTransient,
    XUnauthorized,
)
from social.integrations.x_media import DOWNLOAD_TIMEOUT_SECONDS, media_access, origin_of, read_capped, redirected
from social.integrations.x_payloads import (  # noqa: F401  (re-exported)
    DMEvent,
    Page,
    PayloadError,
    RateLimit,
    Sent,
    Tweet,
    XMedia,
    XUser,
    parse_dm_events,
    parse_meta,
    parse_rate_limit,
    parse_tweet,
    parse_tweets,
    parse_user,
)
from social.integrations.x_upload import (  # noqa: F401  (re-exported)
    CHUNK_BYTES,
    ONE_SHOT_MAX_BYTES,
    UPLOAD_DEADLINE_SECONDS,
    MediaUpload,
    parse_media_upload,
)

log = logging.getLogger(__name__)

X_API_HOST = "https://api.twitter.com"
X_UPLOAD_HOST = "https://upload.twitter.com"
MEDIA_REDIRECTS = 3

TWEET_FIELDS = (
    "id,text,author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,attachments,display_text_range,"
    "entities"
)
# referenced_tweets.id: a quoted tweet comes in `includes.tweets` with its author (whether the brand was quoted).
TWEET_EXPANSIONS = "author_id,attachments.media_keys,referenced_tweets.id"
USER_FIELDS = "id,name,username,profile_image_url"
MEDIA_FIELDS = "media_key,type,url,width,height,preview_image_url"
DM_EVENT_FIELDS = "id,text,event_type,dm_conversation_id,created_at,sender_id,participant_ids,attachments"


# --- Transport -------------------------------------------------------------------------------------------
class _RewriteHost(HTTPAdapter):
    """Sends tweepy's requests for X's hosts to another base URL, with a timeout tweepy's v2 client lacks."""

    def __init__(self, *, from_host: str, to_base: str):
        super().__init__(max_retries=0)
        self.from_host, self.to_base = from_host, to_base.rstrip("/")

    def send(self, request, timeout=None, **kwargs):
        if request.url.startswith(self.from_host):
            request.url = self.to_base + request.url[len(self.from_host) :]
        return super().send(request, timeout=timeout or settings.X_API_TIMEOUT_SECONDS, **kwargs)


def _mount(session: requests.Session, base_url: str) -> None:
    for host in (X_API_HOST, X_UPLOAD_HOST):
        target = base_url if base_url != X_API_HOST else host
        session.mount(host, _RewriteHost(from_host=host, to_base=target))


def _problem_detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:200]
    if isinstance(body, dict):
        # X's 400s carry a generic `detail` and the actual reason in `errors[].message`.
        errors = body.get("errors") or []
        if errors and isinstance(errors[0], dict) and (errors[0].get("message") or errors[0].get("detail")):
            return str(errors[0].get("message") or errors[0].get("detail"))
        if body.get("detail"):
            return str(body["detail"])
    return ""


def _forbidden(response, message: str, status: int) -> XForbidden:
    """Which 403: not in the app's access (X's `client-forbidden` problem, v1.1 code 453, "a different access
    level"), a reply X refuses under its summoned rule, or any other refusal."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    said = " ".join(str(body.get(k) or "") for k in ("type", "reason", "detail", "title")).lower()
    said += " ".join(str(e.get("message") or "") for e in errors).lower()
    if "client-forbidden" in said or "access level" in said or any(e.get("code") == 453 for e in errors):
        return XAccessRefused(message, status=status)
    if "mentioned or otherwise engaged" in said or "summoned" in said:
        return XNotSummoned(message, status=status)
    return XForbidden(message, status=status)


def _translate(exc: Exception, action: str) -> XError:
    if isinstance(exc, tweepy.errors.HTTPException):
        response = exc.response
        status = response.status_code
        detail = _problem_detail(response) or response.reason or "no detail"
        message = f"X refused to {action}: {detail} ({status})"
        if isinstance(exc, tweepy.errors.TooManyRequests):
            rate = parse_rate_limit(response.headers)
            reset_at = rate.reset_at if rate else None
            until = f" until {reset_at:%H:%M:%S} UTC" if reset_at else ""
            return XRateLimited(f"X rate limit reached while trying to {action}{until}.", reset_at=reset_at)
        if isinstance(exc, tweepy.errors.Unauthorized):
            return XUnauthorized(
                f"X did not accept this account's credentials ({status}): it needs reconnecting.", status=status
            )
        if isinstance(exc, tweepy.errors.Forbidden):
            return _forbidden(response, message, status)
        if isinstance(exc, tweepy.errors.NotFound):
            return XNotFound(message, status=status)
        if isinstance(exc, tweepy.errors.BadRequest):
            return XBadRequest(message, status=status)
        if isinstance(exc, tweepy.errors.TwitterServerError):
            return XTransient(f"X had a server error while trying to {action} ({status}).", status=status)
        return XError(message, status=status)
    return XTransient(f"X could not be reached to {action}: {exc.__class__.__name__}.")


_TRANSPORT_ERRORS = (tweepy.errors.TweepyException, requests.RequestException, ValueError)


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    bearer_token: str = ""
    base_url: str = X_API_HOST


class XClient(MediaUpload, ActivityAPI):
    """One X account's view of the X API.

    `budget(endpoint)` is asked before every call and may refuse it (XRateLimited without calling X);
    `observe(endpoint, rate)` hears X's rate-limit headers after every call;
    `cost(endpoint, response)` hears every call X answered with success (what X bills), request and answer.
    """

    def __init__(self, credentials: Credentials, *, budget=None, observe=None, cost=None):
        self.credentials = credentials
        self._budget, self._observe, self._cost = budget, observe, cost
        self._client = tweepy.Client(
            bearer_token=credentials.bearer_token or None,
            consumer_key=credentials.consumer_key,
            consumer_secret=credentials.consumer_secret,
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
            return_type=requests.Response,
            wait_on_rate_limit=False,
        )
        _mount(self._client.session, credentials.base_url)
        self._auth = tweepy.OAuth1UserHandler(
            credentials.consumer_key,
            credentials.consumer_secret,
            credentials.access_token,
            credentials.access_token_secret,
        )
        self._media_session = requests.Session()  # no host rewriting: media URLs are checked as they are
        self.last_rate_limit: RateLimit | None = None

    @classmethod
    def for_account(cls, account) -> XClient:
        """Builds the client from a social.models.XAccount (decrypted tokens, its API base URL, its budget, its ledger
        of X spend)."""
        from social import costs  # the ledger is Django models; the client itself is not

        def spend(endpoint: str):
            verdict = budget.spend(account, endpoint)
            return verdict.allowed, verdict.reset_at

        def observe(endpoint: str, rate: RateLimit):
            budget.observe(account, endpoint, remaining=rate.remaining, reset_at=rate.reset_at)

        def cost(endpoint: str, response: requests.Response):
            costs.record_call(account, endpoint, response)

        return cls(
            Credentials(
                consumer_key=account.consumer_key,
                consumer_secret=account.consumer_secret,
                access_token=account.access_token,
                access_token_secret=account.access_token_secret,
                bearer_token=account.bearer_token,
                base_url=account.effective_api_base_url,
            ),
            budget=spend,
            observe=observe,
            cost=cost,
        )

    def _spend(self, endpoint: str, action: str) -> None:
        if self._budget is None:
            return
        allowed, reset_at = self._budget(endpoint)
        if not allowed:
            until = f" until {reset_at:%H:%M:%S} UTC" if reset_at else ""
            raise XRateLimited(f"The X budget for this account is spent: cannot {action}{until}.", reset_at=reset_at)

    def _heard(self, endpoint: str, headers) -> None:
        self.last_rate_limit = parse_rate_limit(headers)
        if self._observe and self.last_rate_limit:
            self._observe(endpoint, self.last_rate_limit)

    def _respond(self, endpoint: str, action: str, method, *args, **kwargs) -> requests.Response:
        self._spend(endpoint, action)
        try:
            response = method(*args, **kwargs)
        except _TRANSPORT_ERRORS as exc:
            if isinstance(exc, tweepy.errors.HTTPException):
                self._heard(endpoint, exc.response.headers)
            raise _translate(exc, action) from exc
        self._heard(endpoint, response.headers)
        if self._cost:
            self._cost(endpoint, response)  # only X's successes: X bills no failed request
        return response

    def _call(self, endpoint: str, action: str, method, *args, **kwargs) -> dict:
        response = self._respond(endpoint, action, method, *args, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise XTransient(f"X answered something that is not JSON while trying to {action}.") from exc

    # Reads ------------------------------------------------------------------------------------------------
    def me(self) -> XUser:
        body = self._call("users_me", "look up the account", self._client.get_me, user_fields=USER_FIELDS)
        return parse_user(body["data"])

    def user(self, user_id: str) -> XUser:
        body = self._call(
            "tweet_lookup", "look up a user", self._client.get_user, id=user_id, user_fields=USER_FIELDS, user_auth=True
        )
        if "data" not in body:
            raise XNotFound(f"X has no user {user_id}.", status=404)
        return parse_user(body["data"])

    def receives_dms(self, user_id: str) -> bool | None:
        """X's `receives_your_dm`: whether the user accepts this account's DMs (None when X does not say)."""
        body = self._call(
            "tweet_lookup", "look up a user", self._client.get_user, id=user_id, user_fields="receives_your_dm",
            user_auth=True,
        )  # fmt: skip
        data = body.get("data")
        receives = data.get("receives_your_dm") if isinstance(data, dict) else None
        return receives if isinstance(receives, bool) else None

    def dm_events(self, *, pagination_token: str = "", max_results: int = 100) -> Page[DMEvent]:
        """One page of the account's DM events, newest first."""
        body = self._call(
            "dm_events",
            "read direct messages",
            self._client.get_direct_message_events,
            event_types="MessageCreate",
            dm_event_fields=DM_EVENT_FIELDS,
            expansions="sender_id,attachments.media_keys",
            user_fields=USER_FIELDS,
            media_fields=MEDIA_FIELDS,
            max_results=max_results,
            pagination_token=pagination_token or None,
        )
        events, users, rejected = parse_dm_events(body)
        next_token, _ = parse_meta(body)
        newest = max((e.id for e in events), key=int, default="")
        return Page(events, users, next_token, newest, self.last_rate_limit, rejected)

    def _tweet_page(self, endpoint: str, action: str, method, **params) -> Page[Tweet]:
        """A page of tweets with their authors and media, as every tweet read asks X for them."""
        body = self._call(
            endpoint, action, method, tweet_fields=TWEET_FIELDS, expansions=TWEET_EXPANSIONS,
            user_fields=USER_FIELDS, media_fields=MEDIA_FIELDS, user_auth=True, **params,
        )  # fmt: skip
        tweets, users, rejected = parse_tweets(body)
        next_token, newest = parse_meta(body)
        return Page(tweets, users, next_token, newest, self.last_rate_limit, rejected)

    def mentions(
        self, *, user_id: str, since_id: str = "", pagination_token: str = "", max_results: int = 100
    ) -> Page[Tweet]:
        """One page of tweets mentioning the account, newest first."""
        return self._tweet_page(
            "mentions", "read mentions", self._client.get_users_mentions, id=user_id, since_id=since_id or None,
            pagination_token=pagination_token or None, max_results=max_results,
        )  # fmt: skip

    def search_recent(self, *, query: str, since_id: str = "", pagination_token: str = "") -> Page[Tweet]:
        """One page of recent tweets matching a search query, newest first (keyword monitoring)."""
        return self._tweet_page(
            "search", "search recent tweets", self._client.search_recent_tweets, query=query,
            since_id=since_id or None, next_token=pagination_token or None, max_results=100,
        )  # fmt: skip

    def tweets(self, ids: list[str]) -> Page[Tweet]:
        return self._tweet_page("tweet_lookup", "look up tweets", self._client.get_tweets, ids=ids)

    def dm_conversation_events(self, *, participant_id: str, max_results: int = 50) -> list[DMEvent]:
        """The newest DM events of the 1:1 conversation with one user (used to reconcile an unsure send)."""
        body = self._call(
            "dm_events",
            "read the conversation",
            self._client.get_direct_message_events,
            participant_id=participant_id,
            event_types="MessageCreate",
            dm_event_fields=DM_EVENT_FIELDS,
            max_results=max_results,
        )
        return parse_dm_events(body)[0]

    def recent_tweets_by(self, *, username: str, max_results: int = 50) -> list[Tweet]:
        """The account's own recent tweets (used to reconcile an unsure reply)."""
        body = self._call(
            "search",
            "search recent tweets",
            self._client.search_recent_tweets,
            query=f"from:{username}",
            max_results=max_results,
            tweet_fields=TWEET_FIELDS,
            user_auth=True,
        )
        return parse_tweets(body)[0]

    def fetch_media(self, url: str) -> bytes:
        """Downloads an image attached to a message, from X's media hosts only (`media_access`): signed with the
        account's OAuth 1.0a header only where X wants it, through redirects only to X's hosts (the signature is
        never sent to a host other than the first), and at most MAX_DOWNLOAD_BYTES. Raises XMediaRefused, or
        XError/XTransient when X fails; `str()` of each is a few words for the agent ("not from X")."""
        first = None
        for _ in range(MEDIA_REDIRECTS + 1):
            access = media_access(url, api_base_url=self.credentials.base_url)
            first = first or origin_of(url)
            signed = access == "signed" and origin_of(url) == first
            try:
                response = self._media_session.get(
                    url, auth=self._auth.apply_auth() if signed else None, allow_redirects=False, stream=True,
                    timeout=DOWNLOAD_TIMEOUT_SECONDS,
                )  # fmt: skip
            except requests.RequestException as exc:
                raise XTransient(f"X could not be reached ({exc.__class__.__name__})") from exc
            with response:
                if response.is_redirect:
                    url = redirected(url, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise XError(f"X answered {response.status_code}", status=response.status_code)
                return read_capped(response)
        raise XMediaRefused("X redirected it too often")

    # Writes -----------------------------------------------------------------------------------------------
    def send_dm(self, *, participant_id: str, text: str, media_id: str = "") -> Sent:
        """Raises XDMsClosed when X refuses the DM itself (403 on dm_conversations/with: the person's DM settings
        refuse the account, or they blocked it); XAccessRefused when DMs are not in the app's access."""
        try:
            body = self._call(
                "dm_send",
                "send the direct message",
                self._client.create_direct_message,
                participant_id=participant_id,
                text=text or None,
                media_id=media_id or None,
            )
        except XForbidden as exc:
            if type(exc) is XForbidden:
                raise XDMsClosed(str(exc), status=exc.status) from exc
            raise
        data = body["data"]
        return Sent(id=str(data["dm_event_id"]), conversation_id=data.get("dm_conversation_id", ""))

    def post_tweet(self, *, text: str, in_reply_to_tweet_id: str = "", media_ids: list[str] | None = None) -> Sent:
        body = self._call(
            "tweet_create",
            "post the reply" if in_reply_to_tweet_id else "post the tweet",
            self._client.create_tweet,
            text=text,
            in_reply_to_tweet_id=in_reply_to_tweet_id or None,
            media_ids=media_ids or None,
        )
        return Sent(id=str(body["data"]["id"]))

    def like(self, *, tweet_id: str) -> None:
        self._call("like", "like the tweet", self._client.like, tweet_id=tweet_id)

    def _signed(self, method: str, path: str, *, timeout: float, **request) -> requests.Response:
        """A v2 call tweepy has no method for, made as tweepy.Client makes its own: on its session (whose adapter
        sends X's host to the account's API base URL), signed with its OAuth 1.0a user context, X's error statuses
        raised as tweepy's errors. Redirects are not followed: the signature goes to X's API host and nowhere else."""
        response = self._client.session.request(
            method, X_API_HOST + path, auth=self._auth.apply_auth(), headers={"User-Agent": self._client.user_agent},
            timeout=timeout, allow_redirects=False, **request,
        )  # fmt: skip
        _raise_like_tweepy(response)
        return response


def _raise_like_tweepy(response: requests.Response) -> None:
    """tweepy.Client.request's mapping of X's statuses to its errors (what `_translate` reads)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    errors = {400: tweepy.errors.BadRequest, 401: tweepy.errors.Unauthorized, 403: tweepy.errors.Forbidden,
              404: tweepy.errors.NotFound}  # fmt: skip
    if status in errors:
        raise errors[status](response)
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        raise tweepy.errors.TooManyRequests(response, reset_time=int(reset) if reset.isdigit() else None)
    if status >= 500:
        raise tweepy.errors.TwitterServerError(response)
    raise tweepy.errors.HTTPException(response)
