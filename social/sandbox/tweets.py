"""Tweets: mentions timeline, recent search, lookup, create, delete, like and unlike."""

from social.sandbox import paging, selectors, services
from social.sandbox.errors import Problem, not_found_error
from social.sandbox.http import base_url, json_body, x_endpoint
from social.sandbox.models import SandboxTweet, SandboxUser
from social.sandbox.wire import TWEET_EXPANSIONS, Renderer


def _timeline(request, queryset, *, default: int, low: int, high: int, token_param: str = "pagination_token"):
    renderer = Renderer(request, base_url(request), expansions=TWEET_EXPANSIONS)
    tweets, meta = paging.page(request, queryset, default=default, low=low, high=high, token_param=token_param)
    body = renderer.body([renderer.tweet(t) for t in tweets]) if tweets else {}
    body["meta"] = meta
    return 200, body


def _not_found(tweet_id: str, parameter: str) -> dict:
    detail = f"Could not find tweet with {parameter}: [{tweet_id}]."
    return not_found_error(value=tweet_id, resource_type="tweet", parameter=parameter, detail=detail)


def _acting(user: SandboxUser | None, user_id: str) -> SandboxUser:
    """The acting user, who must be the `:id` of the route (one acts only for oneself)."""
    if user is None:
        raise Problem.unsupported_authentication()
    if user.pk != user_id:
        raise Problem(403, "You are not permitted to perform this action.")
    return user


@x_endpoint("mentions", app_allowed=True)
def mentions(request, user, user_id):
    target = SandboxUser.objects.filter(pk=user_id).first()
    if target is None:
        detail = f"Could not find user with id: [{user_id}]."
        return 200, {"errors": [not_found_error(value=user_id, resource_type="user", parameter="id", detail=detail)]}
    return _timeline(request, selectors.mentions_of(target), default=10, low=5, high=100)


@x_endpoint("search", app_allowed=True)
def search_recent(request, user):
    query = request.GET.get("query", "").strip()
    if not query:
        raise Problem.invalid("The `query` query parameter can not be empty", "query", "")
    if len(query) > 512:
        raise Problem.invalid("The `query` query parameter value is longer than 512 characters", "query", query)
    tweets = selectors.search_recent(query)
    return _timeline(request, tweets, default=10, low=10, high=100, token_param="next_token")


def _lookup(request, ids: list[str], parameter: str) -> dict:
    renderer = Renderer(request, base_url(request), expansions=TWEET_EXPANSIONS)
    found = SandboxTweet.objects.filter(deleted=False).in_bulk(ids)
    tweets = [found[i] for i in ids if i in found]
    body = renderer.body([renderer.tweet(t) for t in tweets]) if tweets else {}
    if errors := [_not_found(i, parameter) for i in ids if i not in found]:
        body["errors"] = errors
    return body


@x_endpoint("tweet_lookup", app_allowed=True)
def tweets_lookup(request, user):
    ids = [i for i in request.GET.get("ids", "").split(",") if i]
    if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
        raise Problem.invalid(
            "The `ids` query parameter must hold 1 to 100 comma-separated tweet ids.", "ids", request.GET.get("ids", "")
        )
    return 200, _lookup(request, list(dict.fromkeys(ids)), "ids")


@x_endpoint("tweet_lookup", app_allowed=True)
def tweet_by_id(request, user, tweet_id):
    if not tweet_id.isdigit():
        raise Problem.invalid(f"The `id` query parameter value [{tweet_id}] is not valid", "id", tweet_id)
    body = _lookup(request, [tweet_id], "id")
    if "data" in body:
        body["data"] = body["data"][0]
    return 200, body


def _reply(body: dict) -> tuple[str, list[str]]:
    """The `reply` object: the tweet answered and `exclude_reply_user_ids` (`auto_populate_reply_metadata` is
    accepted and ignored, as on X v2: the mentions are always filled in)."""
    reply = body.get("reply") or {}
    if not isinstance(reply, dict):
        raise Problem.invalid("`reply` must be an object.", "reply", str(reply))
    excluded = reply.get("exclude_reply_user_ids") or []
    if not isinstance(excluded, list) or not all(isinstance(i, str) and i.isdigit() for i in excluded):
        raise Problem.invalid(
            "`reply.exclude_reply_user_ids` must be a list of user ids.", "reply.exclude_reply_user_ids", str(excluded)
        )
    return str(reply.get("in_reply_to_tweet_id") or ""), excluded


@x_endpoint("tweet_create")
def create_tweet(request, user):
    body = json_body(request)
    media = body.get("media") or {}
    media_ids = (media.get("media_ids") if isinstance(media, dict) else media) or []
    if not isinstance(media_ids, list):
        raise Problem.invalid("`media.media_ids` must be a list of media ids.", "media.media_ids", str(media_ids))
    reply_to, excluded = _reply(body)
    tweet = services.sandbox_tweet_create(
        author=user,
        text=str(body.get("text") or ""),
        reply_to=reply_to,
        quote=str(body.get("quote_tweet_id") or ""),
        media_ids=[str(m) for m in media_ids],
        exclude_reply_user_ids=excluded,
    )
    return 201, {"data": {"id": tweet.pk, "text": tweet.text, "edit_history_tweet_ids": [tweet.pk]}}


@x_endpoint("tweet_delete")
def delete_tweet(request, user, tweet_id):
    services.sandbox_tweet_delete(user=user, tweet_id=tweet_id)
    return 200, {"data": {"deleted": True}}


@x_endpoint("like")
def like(request, user, user_id):
    acting = _acting(user, user_id)
    if acting.self_serve:  # likes left every self-serve tier on 2026-04-20
        raise Problem.not_in_access()
    tweet_id = str(json_body(request).get("tweet_id") or "")
    if not tweet_id.isdigit():
        raise Problem.invalid("The `tweet_id` field is required and must be a tweet id.", "tweet_id", tweet_id)
    services.sandbox_like_set(user=acting, tweet_id=tweet_id, liked=True)
    return 200, {"data": {"liked": True}}


@x_endpoint("unlike")
def unlike(request, user, user_id, tweet_id):
    services.sandbox_like_set(user=_acting(user, user_id), tweet_id=tweet_id, liked=False)
    return 200, {"data": {"liked": False}}
