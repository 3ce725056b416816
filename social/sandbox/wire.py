"""X API v2 JSON shapes: objects rendered with the fields and expansions a request asks for, pagination."""

import re

from social.sandbox.http import Problem
from social.sandbox.models import SandboxDMEvent, SandboxMedia, SandboxTweet, SandboxUser

MENTION = re.compile(r"@(\w{1,15})")


def iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def requested(request, name: str) -> set[str]:
    return {f for f in request.GET.get(name, "").split(",") if f}


def user_json(user: SandboxUser, fields: set[str], base: str) -> dict:
    data = {"id": user.pk, "name": user.name, "username": user.username}
    if "created_at" in fields:
        data["created_at"] = iso(user.created_at)
    if "description" in fields:
        data["description"] = user.description
    if "profile_image_url" in fields:
        data["profile_image_url"] = f"{base}/avatars/{user.username}"
    return data


def media_json(media: SandboxMedia, fields: set[str], base: str) -> dict:
    data = {"media_key": media.media_key, "type": "animated_gif" if media.image_type == "gif" else "photo"}
    if "url" in fields:
        data["url"] = f"{base}/media/{media.media_key}"
    if "width" in fields:
        data["width"] = media.width
    if "height" in fields:
        data["height"] = media.height
    return data


def tweet_json(tweet: SandboxTweet, fields: set[str]) -> dict:
    data = {"id": tweet.pk, "text": tweet.text, "edit_history_tweet_ids": [tweet.pk]}
    if "author_id" in fields:
        data["author_id"] = tweet.author_id
    if "conversation_id" in fields:
        data["conversation_id"] = tweet.conversation_id
    if "created_at" in fields:
        data["created_at"] = iso(tweet.created_at)
    if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
        data["in_reply_to_user_id"] = tweet.in_reply_to_user_id
    refs = [
        {"type": kind, "id": ref}
        for kind, ref in (
            ("replied_to", tweet.replied_to_id),
            ("retweeted", tweet.retweeted_id),
            ("quoted", tweet.quoted_id),
        )
        if ref
    ]
    if "referenced_tweets" in fields and refs:
        data["referenced_tweets"] = refs
    if "attachments" in fields and tweet.media_keys:
        data["attachments"] = {"media_keys": tweet.media_keys}
    if "entities" in fields:
        mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1)} for m in MENTION.finditer(tweet.text)]
        if mentions:
            data["entities"] = {"mentions": mentions}
    return data


def dm_json(event: SandboxDMEvent, fields: set[str]) -> dict:
    data = {"id": event.pk, "event_type": "MessageCreate", "text": event.text}
    if "dm_conversation_id" in fields:
        data["dm_conversation_id"] = event.conversation_id
    if "created_at" in fields:
        data["created_at"] = iso(event.created_at)
    if "sender_id" in fields:
        data["sender_id"] = event.sender_id
    if "participant_ids" in fields:
        data["participant_ids"] = [event.sender_id, event.recipient_id]
    if "attachments" in fields and event.media_keys:
        data["attachments"] = {"media_keys": event.media_keys}
    return data


def _includes(request, user_ids: list[str], tweet_ids: list[str], media_keys: list[str], base: str) -> dict:
    includes = {}
    users = SandboxUser.objects.in_bulk(list(dict.fromkeys(user_ids)))
    if users:
        includes["users"] = [
            user_json(users[i], requested(request, "user.fields"), base) for i in dict.fromkeys(user_ids) if i in users
        ]
    tweets = SandboxTweet.objects.in_bulk(list(dict.fromkeys(tweet_ids)))
    if tweets:
        includes["tweets"] = [tweet_json(t, requested(request, "tweet.fields")) for t in tweets.values()]
    media = SandboxMedia.objects.in_bulk(list(dict.fromkeys(media_keys)))
    if media:
        includes["media"] = [media_json(m, requested(request, "media.fields"), base) for m in media.values()]
    return includes


def tweets_body(request, tweets: list[SandboxTweet], base: str) -> dict:
    expansions = requested(request, "expansions")
    user_ids, tweet_ids, media_keys = [], [], []
    for tweet in tweets:
        if "author_id" in expansions:
            user_ids.append(tweet.author_id)
        if "in_reply_to_user_id" in expansions and tweet.in_reply_to_user_id:
            user_ids.append(tweet.in_reply_to_user_id)
        if "referenced_tweets.id" in expansions:
            tweet_ids += [r for r in (tweet.replied_to_id, tweet.retweeted_id, tweet.quoted_id) if r]
        if "attachments.media_keys" in expansions:
            media_keys += tweet.media_keys
    body = {"data": [tweet_json(t, requested(request, "tweet.fields")) for t in tweets]}
    includes = _includes(request, user_ids, tweet_ids, media_keys, base)
    if includes:
        body["includes"] = includes
    return body


def dm_body(request, events: list[SandboxDMEvent], base: str) -> dict:
    expansions = requested(request, "expansions")
    user_ids, media_keys = [], []
    for event in events:
        if "sender_id" in expansions:
            user_ids.append(event.sender_id)
        if "participant_ids" in expansions:
            user_ids += [event.sender_id, event.recipient_id]
        if "attachments.media_keys" in expansions:
            media_keys += event.media_keys
    body = {"data": [dm_json(e, requested(request, "dm_event.fields")) for e in events]}
    includes = _includes(request, user_ids, [], media_keys, base)
    if includes:
        body["includes"] = includes
    return body


def page(request, queryset, *, default: int, low: int, high: int):
    """Newest first, `max_results` per page, opaque `pagination_token`s, X's `since_id` / `until_id`."""
    raw = request.GET.get("max_results", str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(
            400,
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
            extra={
                "errors": [
                    {
                        "parameters": {"max_results": [raw]},
                        "message": f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
                    }
                ]
            },
        )
    size = int(raw)
    items = list(queryset)
    items.sort(key=lambda item: int(item.pk), reverse=True)
    if since := request.GET.get("since_id"):
        items = [i for i in items if int(i.pk) > int(since)]
    if until := request.GET.get("until_id"):
        items = [i for i in items if int(i.pk) < int(until)]
    if token := request.GET.get("pagination_token"):
        if not token.startswith("sbx") or not token[3:].isdigit():
            raise Problem(400, "The `pagination_token` query parameter value is not valid.")
        items = [i for i in items if int(i.pk) < int(token[3:])]
    chunk = items[:size]
    meta = {"result_count": len(chunk)}
    if chunk:
        meta["newest_id"], meta["oldest_id"] = chunk[0].pk, chunk[-1].pk
    if len(items) > size:
        meta["next_token"] = f"sbx{chunk[-1].pk}"
    return chunk, meta
