"""What an X account's access allows, and why not: the one place every other part asks.

Since 2026 what an app may do on X depends on the access X sells it (X_API.md "X in 2026"; xdocs changelog
2026-02-23 and 2026-04-20, x-api/posts/manage-tweets/integrate.mdx, x-api/account-activity/introduction.mdx):

- likes (and follows, quote-posts) were removed from every self-serve tier on 2026-04-20: Enterprise only;
- a self-serve app may reply only when summoned — the original post's author @mentioned the replying account in
  that post, or quoted one of its posts; Enterprise is exempt;
- Account Activity webhooks: "Enterprise or Pay Per Use access" (the old Basic/Pro plans are not named).

The supervisor sets the account's access in the admin; X corrects it: a 403 that says the call is not in the
access lowers it (`access_lower`) and tells the supervisors, as a 401 marks the account for reconnecting. When the
access level Perch knows allows the call yet X refused it anyway (a search, a DM: X documents no tier without
them), Perch remembers X's answer (`XAccount.access_refusals`) and asks X no more until a supervisor sets the access
again or asks X again from the admin.

Media stays allowed on every access: X documents no tier without media upload (v2 upload is the self-serve path).
"""

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from social.alerts import alert_supervisors
from social.models import XAccount
from workspace.infra.events import AccountAccessLowered

log = logging.getLogger(__name__)

Access = XAccount.Access


class Action(StrEnum):
    LIKE = "like"
    REPLY = "reply"  # to a tweet that summoned the account
    REPLY_UNSUMMONED = "reply_unsummoned"  # to a tweet not addressed to the account
    DM = "dm"
    MEDIA = "media"
    SEARCH = "search"  # keyword monitoring (recent search)
    WEBHOOKS = "webhooks"  # Account Activity / X Activity webhooks


@dataclass(frozen=True)
class Verdict:
    """May the account do it now; if not, `reason` says why in words an agent or a supervisor can act on."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)
SELF_SERVE = (Access.PAY_PER_USE, Access.BASIC_PRO)

# Which access levels allow what; anything not listed is allowed on every access.
_ONLY = {
    Action.LIKE: {Access.ENTERPRISE},
    Action.REPLY_UNSUMMONED: {Access.ENTERPRISE},
    Action.WEBHOOKS: {Access.ENTERPRISE, Access.PAY_PER_USE},
}
# What X stopped selling self-serve apps, and when: said in the refusal.
_WHY = {
    Action.LIKE: "X removed likes from self-serve access on 2026-04-20 (Enterprise keeps them)",
    Action.REPLY_UNSUMMONED: "since 2026-02-23 X lets self-serve apps reply only to posts that @mention the account "
    "or quote one of its posts (Enterprise is exempt)",
    Action.WEBHOOKS: "X offers Account Activity webhooks to Pay Per Use and Enterprise access only",
}
# When X refuses `action` as not in the access, the highest access that does not allow it.
_LOWER_TO = {
    Action.LIKE: Access.PAY_PER_USE,
    Action.REPLY_UNSUMMONED: Access.PAY_PER_USE,
    Action.WEBHOOKS: Access.BASIC_PRO,
}


# How a refusal names each action.
_WHAT = {
    Action.LIKE: "likes",
    Action.REPLY: "replies",
    Action.REPLY_UNSUMMONED: "replies to posts not addressed to it",
    Action.DM: "direct messages",
    Action.MEDIA: "media uploads",
    Action.SEARCH: "keyword search",
    Action.WEBHOOKS: "Account Activity webhooks",
}


class NotAllowed(Exception):
    """Asked to set up what the account's access does not allow (e.g. webhook mode): the verdict's reason."""


def may(account: XAccount, action: Action) -> Verdict:
    """May the account do `action` now, on the access it has and by what X refused it."""
    if action in _ONLY and account.access not in _ONLY[action]:
        return Verdict(False, f"@{account.handle} has {account.get_access_display()} access: {_WHY[action]}.")
    if action.value in (account.access_refusals or {}):
        return Verdict(
            False,
            f"X refused {_WHAT[action]} as not in @{account.handle}'s access, so Perch no longer asks X for it; a "
            "supervisor can ask X again from the account's admin page once its X app has that access.",
        )
    return ALLOWED


def may_reply(account: XAccount, *, summoned: bool, author: str = "") -> Verdict:
    """May the account reply in public to a tweet (`summoned`: its author addressed the account)."""
    if summoned:
        return may(account, Action.REPLY)
    verdict = may(account, Action.REPLY_UNSUMMONED)
    if verdict:
        return verdict
    who = f"@{author}'s tweet" if author else "This tweet"
    return Verdict(
        False,
        f"{who} is not addressed to @{account.handle}, and {_WHY[Action.REPLY_UNSUMMONED]}: X would refuse a public "
        "reply. Reply by DM instead.",
    )


def send_refusal(account: XAccount, *, kind: str, tweet=None) -> Verdict:
    """The verdict for an outbox row of `kind` ("dm", "tweet": a reply to `tweet`, "like" of `tweet`; Message
    kinds), `tweet` being the stored Message answered."""
    if kind == "like":
        return may(account, Action.LIKE)
    if kind == "tweet" and tweet is not None:
        author = (tweet.author or {}).get("username", "") if tweet.direction == "in" else ""
        return may_reply(account, summoned=tweet.summoned or tweet.direction != "in", author=author)
    return may(account, Action.DM) if kind == "dm" else ALLOWED


_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")


def summoned(account: XAccount, *, author_id: str, mentions=(), quoted_author_id: str = "", text: str = "") -> bool:
    """X's rule for self-serve replies, applied to the post being replied to: its author @mentioned the account in
    it, or it quotes one of the account's posts. The brand's own posts need no summons (a thread of its own).
    `mentions` are X's entities; a payload without them (Account Activity's v1.1 tweets) is read from its text."""
    if author_id == account.x_user_id:
        return True
    named = {m.lower() for m in mentions} or {m.lower() for m in _MENTION.findall(text or "")}
    if account.handle.lower() in named:
        return True
    return bool(quoted_author_id) and quoted_author_id == account.x_user_id


def access_lower(*, account: XAccount, action: Action, said: str) -> XAccount:
    """X refused `action` as not in the account's access (`said`: X's words): the account's access is lowered to
    what X's answer shows — or, when no lower access explains it, X's refusal is remembered — and the supervisors
    are told. Either way Perch asks X no more for it. Returns the account as saved."""
    lowered = _LOWER_TO.get(action)
    was = account.get_access_display()
    changed = lowered is not None and account.access in _ONLY.get(action, ()) and account.access != lowered
    if changed:
        account.access = lowered
    remembered = not changed and bool(may(account, action))
    if remembered:
        account.access_refusals = {**(account.access_refusals or {}), action.value: said[:300]}
    what = _WHAT[action]
    if changed:
        now = f"Perch now treats it as {account.get_access_display()} (was {was})."
    elif remembered:
        now = f"Perch stops asking X for {what} until a supervisor sets its access again or asks X again."
    else:
        now = "Check its access in the admin."
    note = f"X refused {what} as not in the account's access. {now} X said: {said}"[:300]
    account.access_changed_reason = note
    XAccount.objects.filter(pk=account.pk).update(
        access=account.access, access_changed_reason=note, access_refusals=account.access_refusals
    )
    message = f"@{account.handle}: X refused {what} — not in its access. {now}"
    alert_supervisors(AccountAccessLowered(account_id=account.pk, account=str(account), message=message))
    log.warning("account %s access %s after X refused %s", account.pk, account.access, action.value)
    return account
