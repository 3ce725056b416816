"""Reads of sandbox state: whose tweets mention whom, search, DM events of a user or a conversation."""

import re
import shlex
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from social.sandbox.errors import Problem
from social.sandbox.ids import conversation_id
from social.sandbox.models import SandboxDMEvent, SandboxTweet, SandboxUser

MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{1,15})")
LEADING_MENTION = re.compile(r"@([A-Za-z0-9_]{1,15})(?:\s+|$)")
NOT_WORD = "[^A-Za-z0-9_]"


def leading_mentions(text: str) -> list[tuple[str, int]]:
    """The @mentions a text starts with, each with where the text after it begins ("@ana @bo hi" → ana 5, bo 9)."""
    found, end = [], 0
    while match := LEADING_MENTION.match(text, end):
        end = match.end()
        found.append((match.group(1), end))
    return found


def users_named(names) -> QuerySet[SandboxUser]:
    """Users by username, ignoring case as X does."""
    query = Q()
    for name in set(names):
        query |= Q(username__iexact=name)
    return SandboxUser.objects.filter(query) if query else SandboxUser.objects.none()


def _mentions(username: str) -> Q:
    return Q(text__iregex=f"(^|{NOT_WORD})@{re.escape(username)}({NOT_WORD}|$)")


def mentions_of(user: SandboxUser) -> QuerySet[SandboxTweet]:
    """Tweets that @mention the user or reply to one of the user's tweets (X's mentions timeline)."""
    return SandboxTweet.objects.filter(_mentions(user.username) | Q(in_reply_to_user_id=user.pk), deleted=False)


def search_recent(query: str) -> QuerySet[SandboxTweet]:
    """X's recent search, simply: terms side by side must all match (case-insensitive), `OR` between terms makes
    alternatives, parentheses group, `-` negates; `"phrases"`, `from:`, `to:`, `@handle`, `is:retweet`,
    `is:reply` and `is:quote` are understood. Seven days back."""
    try:
        tokens = _search_tokens(query)
        condition, rest = _any_of(tokens)
        if rest:
            raise ValueError(f"unexpected {rest[0]!r}")
    except ValueError as exc:
        raise Problem.invalid(f"There were errors processing your request: {exc}", "query", query) from exc
    recent = SandboxTweet.objects.filter(deleted=False, created_at__gte=timezone.now() - timedelta(days=7))
    return recent.filter(condition)


def _search_tokens(query: str) -> list[str]:
    """Words, quoted phrases and parentheses of a search query (parentheses may touch their words)."""
    lexer = shlex.shlex(query, posix=True, punctuation_chars="()")
    lexer.whitespace_split = True
    lexer.wordchars += "@:-_#$.'/!?,&+*"
    return list(lexer)


def _any_of(tokens: list[str]) -> tuple[Q, list[str]]:
    """term-groups joined by OR; stops at a closing parenthesis, which the caller takes."""
    condition, tokens = _all_of(tokens)
    while tokens and tokens[0] == "OR":
        alternative, tokens = _all_of(tokens[1:])
        condition |= alternative
    return condition, tokens


def _all_of(tokens: list[str]) -> tuple[Q, list[str]]:
    condition, seen = Q(), False
    while tokens and tokens[0] not in ("OR", ")"):
        token, tokens = tokens[0], tokens[1:]
        if token == "(":
            term, tokens = _group(tokens)
        elif token == "-" and tokens and tokens[0] == "(":
            term, tokens = _group(tokens[1:])
            term = ~term
        else:
            term = _search_term(token)
        condition, seen = condition & term, True
    if not seen:
        raise ValueError("an empty group or a dangling OR")
    return condition, tokens


def _group(tokens: list[str]) -> tuple[Q, list[str]]:
    """What stands between an opening parenthesis (already taken) and its closing one."""
    inner, tokens = _any_of(tokens)
    if not tokens or tokens[0] != ")":
        raise ValueError("a parenthesis is not closed")
    return inner, tokens[1:]


def _search_term(term: str) -> Q:
    negate, term = term.startswith("-") and len(term) > 1, term[1:] if term.startswith("-") else term
    operator, _, value = term.partition(":")
    if term == "is:retweet":
        condition = ~Q(retweeted_id="")
    elif term == "is:reply":
        condition = ~Q(replied_to_id="")
    elif term == "is:quote":
        condition = ~Q(quoted_id="")
    elif operator == "from" and value:
        condition = Q(author__username__iexact=value.lstrip("@"))
    elif operator == "to" and value:
        condition = Q(in_reply_to_user_id__in=users_named([value.lstrip("@")]).values("pk"))
    elif term.startswith("@") and len(term) > 1:
        condition = _mentions(term[1:])
    else:
        condition = Q(text__icontains=term)
    return ~condition if negate else condition


def dm_events_of(user: SandboxUser) -> QuerySet[SandboxDMEvent]:
    return SandboxDMEvent.objects.filter(Q(sender=user) | Q(recipient=user))


def conversation_events(user: SandboxUser, participant_id: str) -> QuerySet[SandboxDMEvent]:
    return SandboxDMEvent.objects.filter(conversation_id=conversation_id(user.pk, participant_id))
