"""Polling an X account: page through new DM events, mentions and keyword matches, ingest each page with its
cursor.

Each page is ingested in one transaction together with the cursor's progress, so a crash or a 429 in the middle
of a pagination run resumes at the next page instead of starting over or losing the pages not yet read. The
cursor's since_id moves only when a run has read everything newer than it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from interactions.attachments import ImageRejected
from interactions.models import Message
from social import access, budget, costs, ingest, schedule
from social.credentials import CredentialsOfAnotherAccount, credentials_verify
from social.ingest.store import stored_ids
from social.ingest.tweets import PARENT_FETCH_DEPTH
from social.integrations import x_activity
from social.integrations.x_client import Tweet, XAccessRefused, XClient, XError, XRateLimited, XUnauthorized
from social.integrations.x_payloads import parse_each
from social.media import prepare_received
from social.models import IngestCursor, XAccount
from social.reconnect import account_needs_reconnect
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)


class PollRateLimited(XRateLimited):
    """Some streams of a poll met X's rate limit (or the budget's); the others were read. `streams`: when each
    limited stream may be read again. X counts each endpoint on its own, so one limit never stops the rest."""

    def __init__(self, first: XRateLimited, streams: dict[str, datetime]):
        super().__init__(str(first), reset_at=max(streams.values()))
        self.streams = streams


@dataclass
class PollReport:
    account_id: int
    pages: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str = ""
    held: str = ""  # why optional calls were not made (the monthly spend cap)

    def add(self, result: ingest.IngestResult) -> None:
        self.pages += 1
        self.created += len(result.created)
        self.duplicates += result.duplicates
        self.rejected += result.rejected


def _newer(item_id: str, since_id: str) -> bool:
    return not since_id or int(item_id) > int(since_id)


def keyword_query(account: XAccount) -> str:
    """X's search query for the account's monitored keywords: any of them, no retweets, not the brand's own."""
    terms = [term.strip().replace('"', "") for term in account.keywords.split(",")]
    quoted = [f'"{term}"' if " " in term else term for term in terms if term]
    if not quoted:
        return ""
    return f"({' OR '.join(quoted)}) -is:retweet -from:{account.handle}"


def streams_of(account: XAccount, *, catch_up: bool = False) -> list[str]:
    """DMs and mentions; keyword search too when keywords are set and the access allows it (the account's health
    says why when it does not: social.health). A webhook account's DMs and mentions come by webhook: they are polled
    to catch up, and while the webhook for them is down (social.schedule). X's Activity API delivers nothing for
    tweets that never name the account: search stays a poll."""
    streams = [IngestCursor.Stream.DM_EVENTS, IngestCursor.Stream.MENTIONS]
    if account.mode == XAccount.Mode.WEBHOOK and not catch_up:
        streams = [stream for stream in streams if schedule.webhook_down(account, stream)]
    searching = keyword_query(account) and access.may(account, access.Action.SEARCH)
    return [*streams, IngestCursor.Stream.SEARCH] if searching else streams


def _fetch_page(client: XClient, account: XAccount, stream: str, cursor: IngestCursor):
    if stream == IngestCursor.Stream.DM_EVENTS:
        return client.dm_events(pagination_token=cursor.resume_token)
    if stream == IngestCursor.Stream.SEARCH:
        query = keyword_query(account)
        return client.search_recent(query=query, since_id=cursor.since_id, pagination_token=cursor.resume_token)
    return client.mentions(user_id=account.x_user_id, since_id=cursor.since_id, pagination_token=cursor.resume_token)


def missing_parents(client: XClient, account: XAccount, tweets: list[Tweet]) -> tuple[dict[str, Tweet], dict]:
    """Parents of replies that Perch has never seen, fetched from X up to PARENT_FETCH_DEPTH levels up; none while the
    account's monthly spend cap holds optional calls (the replies are stored without them)."""
    found: dict[str, Tweet] = {}
    users: dict = {}
    wanted = {t.replied_to_id for t in tweets if t.replied_to_id}
    if wanted and costs.optional_calls_held(account):
        return found, users
    for _ in range(PARENT_FETCH_DEPTH):
        seen = {t.id for t in tweets} | set(found)
        wanted = wanted - stored_ids(account, Message.Kind.TWEET, wanted) - seen
        if not wanted:
            break
        page = client.tweets(sorted(wanted)[:100])
        found.update({t.id: t for t in page.items})
        users.update(page.users)
        wanted = {t.replied_to_id for t in page.items if t.replied_to_id}
    return found, users


def ingest_replies(*, account: XAccount, raw_tweets: list, raw_users, client: XClient | None) -> ingest.IngestResult:
    """Replies delivered by webhook to tweets Perch had not seen, stored as a poll stores them: with their parents
    fetched from X, so the agent sees what is being answered; without them when `client` is None (X kept failing)."""
    tweets, _ = parse_each(raw_tweets, x_activity.parse_post)  # read once already: the delivery kept the others
    context, context_users = missing_parents(client, account, tweets) if client else ({}, {})
    users = {**context_users, **x_activity.parse_users(raw_users)}
    with transaction.atomic():
        return ingest.ingest_tweets(account=account, tweets=tweets, users=users, context=context)


def poll_stream(*, client: XClient, account: XAccount, stream: str, report: PollReport) -> None:
    """Reads one stream to the end (or until X says stop), one transaction per page."""
    IngestCursor.objects.get_or_create(account=account, stream=stream)
    while True:
        cursor = IngestCursor.objects.get(account=account, stream=stream)
        page = _fetch_page(client, account, stream, cursor)
        new_items = [item for item in page.items if _newer(item.id, cursor.since_id)]
        reached_known = len(new_items) < len(page.items)
        context, context_users = ({}, {})
        if stream != IngestCursor.Stream.DM_EVENTS and new_items:
            context, context_users = missing_parents(client, account, new_items)
        with transaction.atomic():
            cursor = IngestCursor.objects.select_for_update().get(pk=cursor.pk)
            for raw, error in page.rejected:
                ingest.reject(account=account, stream=stream, payload=raw, error=error)
            if stream == IngestCursor.Stream.DM_EVENTS:
                result = ingest.ingest_dm_events(account=account, events=new_items, users=page.users)
            else:
                users = {**context_users, **page.users}
                result = ingest.ingest_tweets(account=account, tweets=new_items, users=users, context=context)
            result.rejected += len(page.rejected)
            run_newest = cursor.run_newest_id or page.newest_id
            finished = reached_known or not page.next_token
            if finished:
                if run_newest and _newer(run_newest, cursor.since_id):
                    cursor.since_id = run_newest
                cursor.resume_token, cursor.run_newest_id = "", ""
            else:
                cursor.resume_token, cursor.run_newest_id = page.next_token, run_newest
            cursor.save()
        report.add(result)
        fetch_media(client=client, message_ids=result.created)
        if finished:
            return


def fetch_media(*, client: XClient, message_ids: list[int]) -> None:
    """Downloads the images of new messages into media storage, so agents see them without X's OAuth. Each is
    stored only as the image it decodes to (re-encoded, named by its type); one that is not fetched or not an
    image keeps, instead of a file, the reason the agent sees, and never stops the others."""
    for message in Message.objects.filter(pk__in=message_ids).exclude(media=[]):
        changed = False
        for index, item in enumerate(message.media):
            if item.get("file") or item.get("error") or not item.get("url"):
                continue
            try:
                image = prepare_received(client.fetch_media(item["url"]))
            except (XError, ImageRejected) as exc:
                item["error"] = f"image not fetched: {exc}" if isinstance(exc, XError) else f"image not shown: {exc}"
                log_event(log, "media.not_fetched", level=logging.WARNING, message_id=message.pk, index=index,
                          media_key=item.get("media_key", ""), reason=str(exc))  # fmt: skip
            else:
                name = f"x-media/{message.x_account_id}/{message.external_id}-{index}.{image.extension}"
                item["file"] = default_storage.save(name, ContentFile(image.content))
            changed = True
        if changed:
            Message.objects.filter(pk=message.pk).update(media=message.media)


def poll_account(
    *, account_id: int, client: XClient | None = None, force: bool = False, streams: list[str] | None = None
) -> PollReport:
    """Polls the account's streams: all of them, or only those of `streams` (beat names the due ones). Each stream
    polled is given its next poll time (social.schedule). A stream that meets a rate limit is left until its reset
    and the others are read; then PollRateLimited says when each may go again, so the caller can come back. Marks
    the account "needs reconnect" and stops on 401, and before reading anything when X says the credentials are
    another X account's (asked once per credentials). Webhook accounts are polled only with force (catch-up), but
    for their keyword search and the streams whose webhook is down."""
    started = timezone.now()
    account = XAccount.objects.get(pk=account_id)
    report = PollReport(account_id=account_id)
    if not account.is_active or account.needs_reconnect:
        report.error = "account inactive or needs reconnecting"
        return report
    polled = streams_of(account, catch_up=force)
    if not polled:
        report.error = "account receives events by webhook"
        return report
    if streams is not None:
        polled = [stream for stream in polled if stream in streams]
        if not polled:
            report.error = "no stream of the account is due"
            return report
    client = client or XClient.for_account(account)
    XAccount.objects.filter(pk=account.pk).update(last_polled_at=timezone.now())
    limited: dict[str, XRateLimited] = {}
    try:
        credentials_verify(client=client, account=account)  # never someone else's timeline
        for stream in polled:
            if stream == IngestCursor.Stream.SEARCH and (held := costs.optional_calls_held(account)):
                report.held = held  # keyword search is optional: the cap holds it first
                log_event(log, "account.search_held", account_id=account.pk, reason=held)
                continue
            try:
                poll_stream(client=client, account=account, stream=stream, report=report)
            except XRateLimited as exc:
                limited[stream] = exc  # the next stream is another endpoint at X, with its own limit
            except XAccessRefused as exc:
                if stream != IngestCursor.Stream.SEARCH:
                    raise
                # X says search is not in the app's access: Perch stops searching (and says why), the rest goes on.
                account = access.access_lower(account=account, action=access.Action.SEARCH, said=str(exc))
            reset_at = _reset_of(limited[stream]) if stream in limited else None
            schedule.stream_polled(account=account, stream=stream, started=started, reset_at=reset_at)
    except (XUnauthorized, CredentialsOfAnotherAccount) as exc:
        account_needs_reconnect(account_id=account.pk, reason=str(exc))
        report.error = str(exc)
        return report
    except XError as exc:
        XAccount.objects.filter(pk=account.pk).update(last_error=str(exc)[:300])
        raise
    if limited:
        raise _rate_limited(account, limited)
    XAccount.objects.filter(pk=account.pk).update(
        last_poll_ok_at=timezone.now(), last_error="", rate_limited_until=None
    )
    log_event(
        log, "account.polled", account_id=account.pk, pages=report.pages, created=report.created,
        duplicates=report.duplicates, rejected=report.rejected,
    )  # fmt: skip
    return report


def _reset_of(exc: XRateLimited) -> datetime:
    """When a limited stream may be read again: X's reset; a minute when X did not say."""
    return exc.reset_at or timezone.now() + timedelta(minutes=1)


def _rate_limited(account: XAccount, limited: dict[str, XRateLimited]) -> PollRateLimited:
    """Records when the limited streams may go again. Until then their endpoints are blocked in the budget (X's
    headers do it; a 429 without them blocks for a minute), so the polls that come meanwhile do not call X for them."""
    streams = {}
    for stream, exc in limited.items():
        streams[stream] = _reset_of(exc)
        if exc.reset_at is None:
            budget.observe(account, stream, remaining=0, reset_at=streams[stream])  # stream names are endpoints
    first = next(iter(limited.values()))
    XAccount.objects.filter(pk=account.pk).update(rate_limited_until=max(streams.values()), last_error=str(first)[:300])
    return PollRateLimited(first, streams)


def _due(now: datetime) -> list[tuple[XAccount, list[str]]]:
    accounts = (
        XAccount.objects.filter(is_active=True, needs_reconnect=False)
        .select_related("webhook")
        .prefetch_related("cursors", "subscriptions")
    )
    due = [(account, schedule.due_streams(account, streams_of(account), now=now)) for account in accounts]
    return [(account, streams) for account, streams in due if streams]


def accounts_due(now=None) -> dict[int, list[str]]:
    """Active accounts with streams due (social.schedule), and which: a polling account's DMs, mentions and search,
    a webhook account's search and the streams whose webhook is down. One rate-limited stream does not hold the
    account back: it is due again at X's reset, and the other streams are read meanwhile."""
    return {account.pk: streams for account, streams in _due(now or timezone.now())}


def streams_due(account_id: int, now=None) -> list[str]:
    """The account's streams due now (a poll task that beat did not name them to: a retry at X's reset)."""
    account = XAccount.objects.select_related("webhook").get(pk=account_id)
    return schedule.due_streams(account, streams_of(account), now=now or timezone.now())


def accounts_to_poll(now=None) -> dict[int, list[str]]:
    """The due accounts and streams, claimed until their interval has passed: beat queues one poll per stream and
    interval, however long the workers take to start it (polls used to pile up behind a busy worker, then each met
    the same rate limit)."""
    now = now or timezone.now()
    polls = {}
    for account, streams in _due(now):
        if claimed := schedule.streams_claim(account=account, streams=streams, now=now):
            polls[account.pk] = claimed
    XAccount.objects.filter(pk__in=list(polls)).update(last_polled_at=now)
    return polls
