"""X API v2 JSON shapes: objects rendered with exactly the fields and expansions a request asks for.

Field and expansion names are checked against X's lists (an unknown one is X's 400), so a typo in Perch's
client fails here as it would against X.
"""

from social.sandbox.errors import Problem
from social.sandbox.models import SandboxDMEvent, SandboxMedia, SandboxTweet, SandboxUser
from social.sandbox.selectors import MENTION, users_named

# X's documented values for each query parameter (OpenAPI), as space-separated names.
ALLOWED = {
    "tweet.fields": set(
        "article attachments author_id card_uri community_id context_annotations conversation_id created_at "
        "display_text_range edit_controls edit_history_tweet_ids entities geo id in_reply_to_user_id lang "
        "media_metadata non_public_metrics note_tweet organic_metrics possibly_sensitive promoted_metrics "
        "public_metrics referenced_tweets reply_settings scopes source text withheld".split()
    ),
    "user.fields": set(
        "affiliation confirmed_email connection_status created_at description entities id is_identity_verified "
        "location most_recent_tweet_id name parody pinned_tweet_id profile_banner_url profile_image_url protected "
        "public_metrics receives_your_dm subscription subscription_type url username verified "
        "verified_followers_count verified_type withheld".split()
    ),
    "media.fields": set(
        "alt_text duration_ms height media_key non_public_metrics organic_metrics preview_image_url "
        "promoted_metrics public_metrics type url variants width".split()
    ),
    "dm_event.fields": set(
        "attachments created_at dm_conversation_id entities event_type id participant_ids referenced_tweets "
        "sender_id text".split()
    ),
    "place.fields": set("contained_within country country_code full_name geo id name place_type".split()),
    "poll.fields": set("duration_minutes end_datetime id options voting_status".split()),
}
TWEET_EXPANSIONS = set(
    "article.cover_media article.media_entities attachments.media_keys attachments.media_source_tweet "
    "attachments.poll_ids author_id edit_history_tweet_ids entities.mentions.username "
    "entities.note.mentions.username geo.place_id in_reply_to_user_id referenced_tweets.id "
    "referenced_tweets.id.attachments.media_keys referenced_tweets.id.author_id".split()
)
DM_EXPANSIONS = {"attachments.media_keys", "participant_ids", "referenced_tweets.id", "sender_id"}
USER_EXPANSIONS = {"affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id"}


def requested(request, name: str, allowed: set[str] | None = None) -> set[str]:
    """The comma-separated values of query parameter `name`, refused like X when one is not allowed."""
    values = {v for v in request.GET.get(name, "").split(",") if v}
    allowed = allowed if allowed is not None else ALLOWED.get(name)
    if allowed is not None:
        for value in sorted(values - allowed):
            raise Problem.invalid(
                f"The `{name}` query parameter value [{value}] is not one of [{','.join(sorted(allowed))}]",
                name,
                value,
            )
    return values


def iso(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Renderer:
    """Renders objects for one request: its fields, its expansions, and the `includes` they pull in."""

    def __init__(self, request, base: str, *, expansions: set[str]):
        self.base = base
        self.expansions = requested(request, "expansions", expansions)
        self.tweet_fields = requested(request, "tweet.fields")
        self.user_fields = requested(request, "user.fields")
        self.media_fields = requested(request, "media.fields")
        self.dm_fields = requested(request, "dm_event.fields")
        requested(request, "place.fields")
        requested(request, "poll.fields")
        self.user_ids, self.tweet_ids, self.media_keys = [], [], []

    # --- Objects -----------------------------------------------------------------------------------------
    def user(self, user: SandboxUser) -> dict:
        data = {"id": user.pk, "name": user.name, "username": user.username}
        fields = self.user_fields
        if "created_at" in fields:
            data["created_at"] = iso(user.created_at)
        if "description" in fields:
            data["description"] = user.description
        if "profile_image_url" in fields:
            data["profile_image_url"] = f"{self.base}/avatars/{user.username}"
        if "protected" in fields:
            data["protected"] = False
        if "verified" in fields:
            data["verified"] = False
        if "receives_your_dm" in fields:
            data["receives_your_dm"] = user.accepts_dms
        return data

    def media(self, media: SandboxMedia) -> dict:
        data = {"media_key": media.media_key, "type": "animated_gif" if media.image_type == "gif" else "photo"}
        if "url" in self.media_fields:
            data["url"] = f"{self.base}/media/{media.media_key}"
        if "width" in self.media_fields:
            data["width"] = media.width
        if "height" in self.media_fields:
            data["height"] = media.height
        return data

    def tweet(self, tweet: SandboxTweet, *, expand: bool = True) -> dict:
        fields = self.tweet_fields
        data = {"id": tweet.pk, "text": tweet.text, "edit_history_tweet_ids": [tweet.pk]}
        if "author_id" in fields:
            data["author_id"] = tweet.author_id
        if "conversation_id" in fields:
            data["conversation_id"] = tweet.conversation_id
        if "created_at" in fields:
            data["created_at"] = iso(tweet.created_at)
        if "display_text_range" in fields:
            data["display_text_range"] = display_text_range(tweet)
        if "in_reply_to_user_id" in fields and tweet.in_reply_to_user_id:
            data["in_reply_to_user_id"] = tweet.in_reply_to_user_id
        refs = references(tweet)
        if "referenced_tweets" in fields and refs:
            data["referenced_tweets"] = refs
        if "attachments" in fields and tweet.media_keys:
            data["attachments"] = {"media_keys": list(tweet.media_keys)}
        if "entities" in fields and (mentions := self._mentions(tweet.text)):
            data["entities"] = {"mentions": mentions}
        if "lang" in fields:
            data["lang"] = "en"
        if "possibly_sensitive" in fields:
            data["possibly_sensitive"] = False
        if expand:
            self._expand_tweet(tweet, refs)
        return data

    def dm(self, event: SandboxDMEvent) -> dict:
        fields = self.dm_fields
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
            data["attachments"] = {"media_keys": list(event.media_keys)}
        if "entities" in fields and (mentions := self._mentions(event.text)):
            data["entities"] = {"mentions": mentions}
        if "sender_id" in self.expansions:
            self.user_ids.append(event.sender_id)
        if "participant_ids" in self.expansions:
            self.user_ids += [event.sender_id, event.recipient_id]
        if "attachments.media_keys" in self.expansions:
            self.media_keys += event.media_keys
        return data

    def _mentions(self, text: str) -> list[dict]:
        found = [(m.start(), m.end(), m.group(1)) for m in MENTION.finditer(text)]
        ids = {u.username.lower(): u.pk for u in users_named([f[2] for f in found])}
        mentions = []
        for start, end, username in found:
            mention = {"start": start, "end": end, "username": username}
            if username.lower() in ids:
                mention["id"] = ids[username.lower()]
            mentions.append(mention)
        return mentions

    def _expand_tweet(self, tweet: SandboxTweet, refs: list[dict]) -> None:
        if "author_id" in self.expansions:
            self.user_ids.append(tweet.author_id)
        if "in_reply_to_user_id" in self.expansions and tweet.in_reply_to_user_id:
            self.user_ids.append(tweet.in_reply_to_user_id)
        if "entities.mentions.username" in self.expansions:
            names = [m.group(1) for m in MENTION.finditer(tweet.text)]
            self.user_ids += list(users_named(names).values_list("pk", flat=True))
        if "attachments.media_keys" in self.expansions:
            self.media_keys += tweet.media_keys
        if self.expansions & {"referenced_tweets.id", "referenced_tweets.id.author_id"}:
            self.tweet_ids += [ref["id"] for ref in refs]

    # --- Bodies ------------------------------------------------------------------------------------------
    def includes(self) -> dict:
        includes = {}
        tweet_ids = list(dict.fromkeys(self.tweet_ids))
        tweets = SandboxTweet.objects.filter(deleted=False).in_bulk(tweet_ids)
        if "referenced_tweets.id" in self.expansions and tweets:
            includes["tweets"] = [self.tweet(tweets[i], expand=False) for i in tweet_ids if i in tweets]
        if "referenced_tweets.id.author_id" in self.expansions:
            self.user_ids += [t.author_id for t in tweets.values()]
        if "referenced_tweets.id.attachments.media_keys" in self.expansions:
            self.media_keys += [key for t in tweets.values() for key in t.media_keys]
        order = list(dict.fromkeys(self.user_ids))
        users = SandboxUser.objects.in_bulk(order)
        if users:
            includes["users"] = [self.user(users[i]) for i in order if i in users]
        keys = list(dict.fromkeys(self.media_keys))
        media = SandboxMedia.objects.in_bulk(keys)
        if media:
            includes["media"] = [self.media(media[k]) for k in keys if k in media]
        return includes

    def body(self, data) -> dict:
        body = {"data": data}
        if includes := self.includes():
            body["includes"] = includes
        return body


def display_text_range(tweet: SandboxTweet) -> list[int]:
    """X's [start, end) of the text it shows, in code points: a reply's leading @mentions are before the start."""
    return [tweet.display_start, len(tweet.text)]


def references(tweet: SandboxTweet) -> list[dict]:
    kinds = (("replied_to", tweet.replied_to_id), ("retweeted", tweet.retweeted_id), ("quoted", tweet.quoted_id))
    return [{"type": kind, "id": ref} for kind, ref in kinds if ref]
