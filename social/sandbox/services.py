"""Writes to the sandbox's X: users, tweets, retweets, likes, DMs and media, with X's rules. Used by the API
views (as the acting user) and by the customer simulator (as any user). Refusals raise `Problem`s shaped as X's."""

import io
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError
from twitter_text import parse_tweet

from social.sandbox import webhooks
from social.sandbox.errors import DMS_CLOSED_DETAIL, NOT_SUMMONED_DETAIL, Problem
from social.sandbox.ids import conversation_id, new_id
from social.sandbox.models import (
    SandboxApp,
    SandboxDelivery,
    SandboxDMEvent,
    SandboxFault,
    SandboxLike,
    SandboxLimit,
    SandboxMedia,
    SandboxProcessingFault,
    SandboxRateWindow,
    SandboxSubscription,
    SandboxTweet,
    SandboxUpload,
    SandboxUser,
    SandboxWebhook,
)
from social.sandbox.selectors import MENTION, leading_mentions, users_named

MAX_MEDIA_BYTES = 5 * 1024 * 1024  # X's limits for uploads (x-api/media/introduction.mdx): an image
MAX_GIF_BYTES = 15 * 1024 * 1024  # an animated GIF
TOO_BIG = f"File size exceeds {MAX_MEDIA_BYTES} bytes."  # X's words for an image over 5 MB
MAX_DM_CHARACTERS = 10_000
TOO_LONG = (
    "Your Tweet text is too long. For more information on how X determines text length see "
    "https://github.com/twitter/twitter-text."
)
INVALID_CHARACTERS = "Your Tweet text contains a character that is not allowed (twitter-text calls it invalid)."


# --- Users ----------------------------------------------------------------------------------------------
@transaction.atomic
def sandbox_user_ensure(*, user_id: str, username: str, name: str) -> SandboxUser:
    """The sandbox's X user with this id, created or renamed to match (the demo's brand and customers).

    The id wins: if another user holds the username, that user's handle is changed, as X lets handles move.
    """
    holder = SandboxUser.objects.filter(username__iexact=username).exclude(pk=user_id).first()
    if holder is not None:
        holder.username = f"{username[:9]}_{holder.pk[-5:]}"
        holder.save(update_fields=["username"])
    user, created = SandboxUser.objects.get_or_create(pk=user_id, defaults={"username": username, "name": name})
    if not created and (user.username, user.name) != (username, name):
        user.username, user.name = username, name
        user.save(update_fields=["username", "name"])
    return user


@transaction.atomic
def sandbox_user_get_or_create(*, username: str, name: str) -> SandboxUser:
    """The user with this username (any case), or a new one with a fresh id."""
    existing = SandboxUser.objects.filter(username__iexact=username).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return SandboxUser.objects.create(id=new_id(), username=username, name=name or username)
    except IntegrityError:  # created meanwhile by another request
        return SandboxUser.objects.get(username__iexact=username)


@transaction.atomic
def sandbox_user_settings(*, user: SandboxUser, tier: str, accepts_dms) -> SandboxUser:
    """The access of the app acting as the user (what X allows it) and whether X lets others DM them."""
    if tier not in SandboxUser.Tier.values:
        raise Problem(400, f"tier is one of {', '.join(SandboxUser.Tier.values)}, not {tier!r}.")
    if not isinstance(accepts_dms, bool):
        raise Problem(400, "accepts_dms is true or false.")
    user.tier, user.accepts_dms = tier, accepts_dms
    user.save(update_fields=["tier", "accepts_dms"])
    return user


@transaction.atomic
def sandbox_token_reissue(*, user: SandboxUser) -> SandboxUser:
    """A new access token for the user (the old one answers 401), as reconnecting an account does on X."""
    user.token_version += 1
    user.revoked = False
    user.save(update_fields=["token_version", "revoked"])
    return user


@transaction.atomic
def sandbox_user_revoke(*, user: SandboxUser) -> None:
    """The user's tokens answer 401 from now on (the user revoked the app), and subscribed apps hear oauth.revoke."""
    user.revoked = True
    user.save(update_fields=["revoked"])
    webhooks.user_revoked(user)


# --- Apps ---------------------------------------------------------------------------------------------------
@transaction.atomic
def sandbox_app_ensure(*, consumer_key: str, consumer_secret: str, bearer_token: str = "") -> SandboxApp:
    """The developer app with this consumer key, created or given this secret (and Bearer token, when one is
    given; a new app gets a fresh one), as the Developer Console issues them."""
    app = SandboxApp.objects.select_for_update().filter(consumer_key=consumer_key).first()
    if app is None:
        return SandboxApp.objects.create(
            id=new_id(), consumer_key=consumer_key, consumer_secret=consumer_secret,
            bearer_token=bearer_token or f"AAAAAAAAAAAAAAAAAAAAA{secrets.token_urlsafe(40)}",
        )  # fmt: skip
    app.consumer_secret = consumer_secret
    app.bearer_token = bearer_token or app.bearer_token
    app.save(update_fields=["consumer_secret", "bearer_token"])
    return app


# --- Media ----------------------------------------------------------------------------------------------
IMAGE_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}  # X's image types (best-practices.mdx)
GIF_CATEGORIES = {"dm_gif", "tweet_gif"}
MEDIA_LIFETIME = timedelta(seconds=86400)  # expires_after_secs; "Media is available for 24 hours after upload" (DMs)


def max_bytes_for(category: str) -> int:
    """X's size limit for an upload of this category: 15 MB for an animated GIF, 5 MB for an image."""
    return MAX_GIF_BYTES if category in GIF_CATEGORIES else MAX_MEDIA_BYTES


def too_big(category: str) -> str:
    return f"File size exceeds {max_bytes_for(category)} bytes."


def read_image(data: bytes, category: str = "") -> Image.Image:
    """The image X would take: within the category's size, one Pillow can read, of X's image types (a GIF for a GIF
    category). Raises X's 400 otherwise."""
    if not data:
        raise Problem.invalid("media parameter is missing.", "media", "")
    if len(data) > max_bytes_for(category):
        raise Problem.invalid(too_big(category), "media", "")
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Problem.invalid("media type unrecognized.", "media", "") from exc
    if image.format not in IMAGE_FORMATS or (category in GIF_CATEGORIES and image.format != "GIF"):
        raise Problem.invalid("media type unrecognized.", "media", "")
    return image


@transaction.atomic
def sandbox_media_store(
    *,
    owner: SandboxUser,
    data: bytes,
    category: str = "",
    media_id: str = "",
    shared: bool = False,
    additional_owners=(),
) -> SandboxMedia:
    """Stores an uploaded image after X's checks (`read_image`): what a one-shot upload, a finished chunked one (with
    its id) and a simulated customer's photo become."""  # fmt: skip
    image = read_image(data, category)
    media_id = media_id or new_id()
    return SandboxMedia.objects.create(
        media_key=f"{'16' if category in GIF_CATEGORIES else '3'}_{media_id}",  # X's prefixes: animated GIF, photo
        media_id=media_id,
        owner=owner,
        category=category,
        content=data,
        image_type=IMAGE_FORMATS[image.format],
        width=image.width,
        height=image.height,
        shared=shared,
        additional_owners=[str(user_id) for user_id in additional_owners],
    )


def _own_media(owner: SandboxUser, media_id: str, parameter: str, *, for_dm: bool = False) -> SandboxMedia:
    """Media the acting user may attach, by X's rules: uploaded by them (or naming them in `additional_owners`) less
    than 24 hours ago, and for a DM not already sent in another DM unless uploaded `shared`."""
    media = SandboxMedia.objects.filter(media_id=str(media_id), created_at__gt=timezone.now() - MEDIA_LIFETIME).first()
    usable = media is not None and (media.owner_id == owner.pk or owner.pk in (media.additional_owners or []))
    if usable and for_dm and media.dm_event_id and not media.shared:
        usable = False
    if not usable:
        raise Problem.invalid("Your media IDs are invalid.", parameter, str(media_id))
    return media


# --- Tweets ---------------------------------------------------------------------------------------------
def _announce(tweet: SandboxTweet) -> None:
    """The X Activity API events of a new post: only the @mentions the author wrote count as mentions (X fires
    none for the ones it puts in front of a reply, nor for a repost's)."""
    written = "" if tweet.retweeted_id else tweet.text[tweet.display_start :]
    mentioned = list(users_named(MENTION.findall(written)).values_list("pk", flat=True))
    webhooks.tweet_created(tweet, mentioned=mentioned)


def _reply_mentions(parent: SandboxTweet, author: SandboxUser, exclude: set[str]) -> list[SandboxUser]:
    """Whom X mentions in front of a reply (`reply.auto_populate_reply_metadata`, the v2 default): the replied tweet's
    author, then the people that tweet's own leading @mentions name — never the replying account, and not the users
    of `exclude_reply_user_ids` (except the tweet's author: X ignores removing the mention that makes it a reply)."""
    names = [name for name, _ in leading_mentions(parent.text)]
    named = {user.username.lower(): user for user in users_named(names)}
    chain = [parent.author, *(named[n.lower()] for n in names if n.lower() in named)]
    mentioned, seen = [], {author.pk}
    for user in chain:
        if user.pk in seen or (user.pk in exclude and user.pk != parent.author_id):
            continue
        seen.add(user.pk)
        mentioned.append(user)
    return mentioned


def _reply_text(typed: str, mentioned: list[SandboxUser]) -> tuple[str, int]:
    """The reply's text as X stores it, the @mentions in front, and where the text X shows begins. People the author
    already named at the start are not named twice, and their mentions are hidden with X's."""
    ours = {user.username.lower() for user in mentioned}
    typed_leading = leading_mentions(typed)
    already = {name.lower() for name, _ in typed_leading}
    prefix = "".join(f"@{user.username} " for user in mentioned if user.username.lower() not in already)
    shown_from = 0
    for name, end in typed_leading:
        if name.lower() not in ours:
            break
        shown_from = end
    if not typed:
        return prefix.rstrip(), len(prefix.rstrip())
    return prefix + typed, len(prefix) + shown_from


def summoned_by(parent: SandboxTweet, replier: SandboxUser) -> bool:
    """X's rule for self-serve replies (2026-02-23): the original post's author @mentioned the replier in it, or it
    quotes one of the replier's posts. Replying in one's own thread needs no summons."""
    if parent.author_id == replier.pk:
        return True
    if replier.username.lower() in {name.lower() for name in MENTION.findall(parent.text)}:
        return True
    return bool(parent.quoted_id) and SandboxTweet.objects.filter(pk=parent.quoted_id, author=replier).exists()


@transaction.atomic
def sandbox_tweet_create(
    *, author: SandboxUser, text: str, reply_to: str = "", quote: str = "", media_ids=(), exclude_reply_user_ids=()
) -> SandboxTweet:
    """Posts a tweet with X's rules: text or media, 280 weighted characters, no character X refuses, no duplicate of
    the author's own tweets of the last 24 h. A reply joins its parent's conversation and answers the parent's
    author; X puts the @mentions of the people it answers in front of its text, and those do not count."""
    text = text or ""
    media_keys = [_own_media(author, media_id, "media.media_ids").media_key for media_id in media_ids]
    if not text.strip() and not media_keys:
        raise Problem.invalid("Tweet text cannot be empty unless media is attached.", "text", text)
    parent = None
    if reply_to:
        parent = SandboxTweet.objects.select_related("author").filter(pk=reply_to, deleted=False).first()
        if parent is None:
            raise Problem(403, "You attempted to reply to a Tweet that is deleted or not visible to you.")
    if parent is not None and author.self_serve and not summoned_by(parent, author):
        raise Problem(403, NOT_SUMMONED_DETAIL)
    if quote and not SandboxTweet.objects.filter(pk=quote, deleted=False).exists():
        raise Problem(403, "You attempted to quote a Tweet that is deleted or not visible to you.")
    shown_from = 0
    if parent is not None:
        text, shown_from = _reply_text(text, _reply_mentions(parent, author, set(exclude_reply_user_ids)))
    if shown := text[shown_from:]:
        parsed = parse_tweet(shown)  # only what X shows counts: the mentions in front of a reply do not
        if parsed.weightedLength > 280:
            detail = f"Your Tweet text is {parsed.weightedLength} characters, however the limit is 280."
            raise Problem.invalid(TOO_LONG, "text", detail)
        if not parsed.valid and shown.strip():
            # X documents no wording for this one; twitter-text calls such a text invalid (U+FFFE, U+FFFF, U+FEFF).
            raise Problem.invalid(INVALID_CHARACTERS, "text", shown)
    recent = timezone.now() - timedelta(hours=24)
    if text and SandboxTweet.objects.filter(author=author, text=text, created_at__gte=recent, deleted=False).exists():
        raise Problem(403, "You are not allowed to create a Tweet with duplicate content.")
    tweet_id = new_id()
    tweet = SandboxTweet.objects.create(
        id=tweet_id,
        author=author,
        text=text,
        display_start=shown_from,
        conversation_id=parent.conversation_id if parent else tweet_id,
        replied_to_id=parent.pk if parent else "",
        in_reply_to_user_id=parent.author_id if parent else "",
        quoted_id=quote,
        media_keys=media_keys,
    )
    _announce(tweet)
    return tweet


@transaction.atomic
def sandbox_retweet_create(*, user: SandboxUser, tweet_id: str) -> SandboxTweet:
    """A retweet as X stores it: its own id and conversation, text "RT @author: ...", `retweeted` reference."""
    original = SandboxTweet.objects.select_related("author").filter(pk=str(tweet_id), deleted=False).first()
    if original is None:
        raise Problem(403, "You attempted to retweet a Tweet that is deleted or not visible to you.")
    if original.retweeted_id:  # retweeting a retweet retweets the original
        return sandbox_retweet_create(user=user, tweet_id=original.retweeted_id)
    existing = SandboxTweet.objects.filter(author=user, retweeted_id=original.pk, deleted=False).first()
    if existing is not None:
        return existing
    new = new_id()
    retweet = SandboxTweet.objects.create(
        id=new,
        author=user,
        text=f"RT @{original.author.username}: {original.text}",
        conversation_id=new,
        retweeted_id=original.pk,
    )
    _announce(retweet)
    return retweet


@transaction.atomic
def sandbox_tweet_delete(*, user: SandboxUser, tweet_id: str) -> None:
    tweet = SandboxTweet.objects.filter(pk=tweet_id, deleted=False).first()
    if tweet is None:
        raise Problem(404, f"Could not find tweet with id: [{tweet_id}].")
    if tweet.author_id != user.pk:
        raise Problem(403, "You are not authorized to delete this Tweet.")
    tweet.deleted = True
    tweet.save(update_fields=["deleted"])


@transaction.atomic
def sandbox_like_set(*, user: SandboxUser, tweet_id: str, liked: bool) -> None:
    """Likes or unlikes a tweet; doing either twice is not an error at X."""
    if not liked:
        SandboxLike.objects.filter(user=user, tweet_id=tweet_id).delete()
        return
    tweet = SandboxTweet.objects.filter(pk=tweet_id, deleted=False).first()
    if tweet is None:
        raise Problem(403, "You cannot like a Tweet that is deleted or not visible to you.")
    SandboxLike.objects.get_or_create(user=user, tweet=tweet)


# --- Direct messages ------------------------------------------------------------------------------------
@transaction.atomic
def sandbox_dm_send(
    *, sender: SandboxUser, recipient: SandboxUser, text: str, media_ids=(), media_keys=()
) -> SandboxDMEvent:
    """Sends a 1:1 DM (text and/or one image); dm.sent and dm.received go to subscribed webhooks after commit."""
    text = text or ""
    attached = [_own_media(sender, m, "attachments.media_id", for_dm=True) for m in media_ids]
    keys = [*media_keys, *(media.media_key for media in attached)]
    if sender.pk == recipient.pk:
        raise Problem.invalid("You cannot send a direct message to yourself.", "participant_id", recipient.pk)
    if not recipient.accepts_dms:
        raise Problem(403, DMS_CLOSED_DETAIL)
    if not text.strip() and not keys:
        raise Problem.invalid("A direct message needs text or an attachment.", "text", text)
    if len(text) > MAX_DM_CHARACTERS:
        raise Problem.invalid(f"Direct message text is limited to {MAX_DM_CHARACTERS:,} characters.", "text", "")
    if len(keys) > 1:
        raise Problem.invalid("A direct message can have one attachment.", "attachments", ",".join(keys))
    event = SandboxDMEvent.objects.create(
        id=new_id(),
        conversation_id=conversation_id(sender.pk, recipient.pk),
        sender=sender,
        recipient=recipient,
        text=text,
        media_keys=keys,
    )
    SandboxMedia.objects.filter(pk__in=[m.pk for m in attached], shared=False).update(dm_event_id=event.pk)
    webhooks.dm_created(event)
    return event


# --- Whole sandbox --------------------------------------------------------------------------------------
@transaction.atomic
def sandbox_reset() -> None:
    """Wipes every user, tweet, DM, like, medium, upload, rate window, limit override, fault, app, webhook,
    subscription and delivery."""
    for model in (
        SandboxDelivery,
        SandboxSubscription,
        SandboxWebhook,
        SandboxApp,
        SandboxFault,
        SandboxLimit,
        SandboxRateWindow,
        SandboxLike,
        SandboxProcessingFault,
        SandboxUpload,
        SandboxMedia,
        SandboxDMEvent,
        SandboxTweet,
        SandboxUser,
    ):
        model.objects.all().delete()
