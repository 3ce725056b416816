"""Mentions and replies → Perch: a customer tweet goes to its branch's open Twitter interaction or opens one
(threads.branch_for says which); retweets and the brand's own tweets never create work, and a tweet X sent
without its author is kept as a RejectedEvent.

A page of customer tweets goes in one batch when it needs no fetched parents; a page with some, or one whose batch
met a conflict, goes one by one (each in its own savepoint).
"""

from dataclasses import asdict

from django.utils import timezone

from interactions.models import Channel, Interaction, Message
from interactions.sentiment import sentiment_score
from social import access, sending
from social.ingest.store import (
    IngestResult,
    Planned,
    identify,
    identify_all,
    in_batch,
    message_fields,
    once,
    open_interaction,
    route_new_work,
    store_message,
    store_page,
    unseen,
    without_author,
)
from social.ingest.threads import Branch, answered, branch_for, known_branches
from social.integrations.x_client import Tweet, XUser
from social.models import XAccount

PARENT_FETCH_DEPTH = 3  # how many levels of a reply's unseen parents polling fetches and ingest stores


def ingest_tweets(
    *, account: XAccount, tweets: list[Tweet], users: dict[str, XUser], context: dict[str, Tweet] | None = None
) -> IngestResult:
    """Ingests mentions (oldest first). `context` holds fetched parent tweets used to rebuild branches."""
    result = IngestResult()
    # A parent X sent without its author cannot be shown as the brand's or the customer's: the reply goes in alone.
    context = {
        tweet_id: parent for tweet_id, parent in (context or {}).items() if not _without_author(result, account, parent)
    }
    customer_tweets = []
    for tweet in sorted(tweets, key=lambda t: int(t.id)):
        if tweet.is_retweet:
            result.skipped += 1  # retweets never create work, whoever X says sent them
        elif _without_author(result, account, tweet):
            continue
        elif tweet.author_id == account.x_user_id:
            result.skipped += 1  # the brand's own tweets never create work
            _own_reply(account, tweet)  # a webhook delivers the brand's own replies: Perch's are sent
        else:
            customer_tweets.append(tweet)
    # The batch path needs no fetched parents; a page with some (or a conflict) goes one by one.
    if customer_tweets and not any(t.replied_to_id in context for t in customer_tweets):
        if in_batch(result, lambda: ingest_customer_tweets(account=account, tweets=customer_tweets, users=users)):
            return route_new_work(result)
    for tweet in customer_tweets:
        once(
            result,
            account,
            "mentions",
            asdict(tweet),
            lambda t=tweet: _ingest_customer_tweet(account, t, users, context, result),
        )
    return route_new_work(result)


def _without_author(result: IngestResult, account: XAccount, tweet: Tweet) -> bool:
    """X sends `author_id` only when asked for it (its default fields, as in tweepy's recordings, leave it out).
    Perch asks for it with the author expansion; a tweet that comes without it anyway matches none of the page's
    `includes.users` either, so it is kept as a RejectedEvent and never filed under a customer."""
    return without_author(result, account, "mentions", tweet, what="tweet", field="author_id", name="author")


def _tweet_fields(account: XAccount, tweet: Tweet, users: dict[str, XUser]) -> dict:
    fields = message_fields(
        kind=Message.Kind.TWEET, external_id=tweet.id, text=tweet.text, media=tweet.media, created_at=tweet.created_at,
        author_id=tweet.author_id, users=users,
    )  # fmt: skip
    # Marked on arrival with X's rule for self-serve replies: did its author summon the brand?
    summoned = access.summoned(
        account, author_id=tweet.author_id, mentions=tweet.mentions, quoted_author_id=tweet.quoted_author_id,
        text=tweet.text,
    )  # fmt: skip
    return {
        **fields, "in_reply_to_external_id": tweet.replied_to_id, "display_start": tweet.display_start,
        "summoned": summoned,
    }  # fmt: skip


def ingest_customer_tweets(
    *, account: XAccount, tweets: list[Tweet], users: dict[str, XUser]
) -> tuple[list[Message], int, list[Interaction]]:
    """Stores a page of customer tweets (oldest first) at once; returns (new messages, duplicates, interactions
    opened). A tweet of the page may answer an earlier one of the same page."""
    fresh, duplicates = unseen(account, Message.Kind.TWEET, tweets)
    if not fresh:
        return [], duplicates, []
    identities = identify_all([t.author_id for t in fresh], users)
    parent_ids = {t.replied_to_id for t in fresh if t.replied_to_id}
    branches = known_branches(account, parent_ids)
    replied = answered(account, parent_ids)
    plan = []
    for tweet in fresh:
        parent_id = tweet.replied_to_id
        branch = branch_for(
            tweet,
            contact_id=identities[tweet.author_id].contact_id,
            parent=branches.get(parent_id),
            parent_answered=parent_id in replied,
        )
        if parent_id:
            replied.add(parent_id)
        branches[tweet.id] = branch
        plan.append(
            Planned(
                thread_key=branch.thread_key,
                contact_id=branch.contact_id,
                root_tweet_id=branch.root_tweet_id,
                sentiment=sentiment_score(tweet.text),
                fields={"author_identity": identities[tweet.author_id], **_tweet_fields(account, tweet, users)},
            )
        )
    messages, opened = store_page(account, Channel.TWITTER, plan)
    return messages, duplicates, opened


def _ingest_customer_tweet(account, tweet: Tweet, users, context, result) -> None:
    identity = identify(tweet.author_id, users)
    interaction = _interaction_for(account, tweet, identity.contact_id, users, context, result)
    store_message(
        interaction,
        result,
        direction=Message.Direction.INBOUND,
        author_identity=identity,
        sentiment=sentiment_score(tweet.text),
        **_tweet_fields(account, tweet, users),
    )


def _interaction_for(account, tweet: Tweet, contact_id, users, context, result, depth=0) -> Interaction:
    """The open interaction of the tweet's branch. A parent fetched from X (context) is stored first, so the agent
    sees what is being answered."""
    parent_id = tweet.replied_to_id
    parent = known_branches(account, [parent_id]).get(parent_id) if parent_id else None
    if parent_id and parent is None and parent_id in context and depth < PARENT_FETCH_DEPTH:
        stored = _store_context_tweet(account, context.pop(parent_id), contact_id, users, context, result, depth + 1)
        parent = Branch.of(stored.interaction)
    branch = branch_for(
        tweet,
        contact_id=contact_id,
        parent=parent,
        parent_answered=parent is not None and parent_id in answered(account, [parent_id]),
    )
    return open_interaction(
        account=account,
        kind=Channel.TWITTER,
        thread_key=branch.thread_key,
        contact_id=branch.contact_id,
        root_tweet_id=branch.root_tweet_id,
    )


def _store_context_tweet(account, tweet: Tweet, contact_id, users, context, result, depth) -> Message:
    """A parent tweet Perch had not seen (fetched from X): stored in the branch it roots or continues. The brand's
    reply that Perch's outbox was still sending (or whose worker died) is that outbox row, now sent."""
    by_brand = tweet.author_id == account.x_user_id
    if by_brand and (sent := _own_reply(account, tweet)):
        return sent
    interaction = _interaction_for(account, tweet, contact_id, users, context, result, depth)
    return store_message(
        interaction,
        result,
        direction=Message.Direction.OUTBOUND if by_brand else Message.Direction.INBOUND,
        delivery=Message.Delivery.SENT if by_brand else "",
        **_tweet_fields(account, tweet, users),
    )


def _own_reply(account: XAccount, tweet: Tweet) -> Message | None:
    """X's copy of a reply the brand posted: the outbox row it came from, now sent, if one is unsent."""
    if not tweet.replied_to_id:
        return None
    return sending.outbox_echo(
        account=account, kind=Message.Kind.TWEET, external_id=tweet.id, text=tweet.text,
        at=tweet.created_at or timezone.now(), in_reply_to=tweet.replied_to_id,
    )  # fmt: skip
