"""Whose X account an account's credentials are.

X answers with the data of whoever the access token belongs to: credentials of another X account (pasted from the
wrong app, a demo's @TweepyDev tokens) would have Perch read that account's DMs and mentions as this one's. So
before polling with credentials Perch asks X once whose they are (GET /2/users/me) and keeps a fingerprint of the
ones X confirmed: the same credentials are not asked about again, changed ones are.
"""

from django.utils.crypto import salted_hmac

from social.integrations.x_client import XClient
from social.models import XAccount


class CredentialsOfAnotherAccount(Exception):
    """X says the credentials belong to another X user; `str()` says whose, in words a supervisor can act on."""


def credentials_fingerprint(account: XAccount) -> str:
    """What the answer of users/me depends on (the API, the app, the user's token) and the X user id it must
    match, hashed with the SECRET_KEY: the stored value tells nothing about the token."""
    parts = (account.effective_api_base_url, account.consumer_key, account.access_token, account.x_user_id)
    return salted_hmac("perch.x-credentials", "\n".join(parts), algorithm="sha256").hexdigest()


def credentials_verify(*, client: XClient, account: XAccount) -> None:
    """Asks X whose the account's credentials are, unless X confirmed these very credentials before. Raises
    CredentialsOfAnotherAccount when they are someone else's, and the client's XError when X cannot say (a 401
    included: then they are nobody's)."""
    fingerprint = credentials_fingerprint(account)
    if account.verified_credentials == fingerprint:
        return
    me = client.me()
    if me.id != account.x_user_id:
        theirs, ours = f"@{me.username}", f"@{account.handle}"
        if not me.username or me.username.lower() == account.handle.lower():  # then only the ids tell them apart
            theirs, ours = f"X user {me.id}", f"X user {account.x_user_id} (@{account.handle})"
        raise CredentialsOfAnotherAccount(
            f"These credentials belong to {theirs}, not {ours}: Perch does not poll with them."
        )
    XAccount.objects.filter(pk=account.pk).update(verified_credentials=fingerprint)
    account.verified_credentials = fingerprint
