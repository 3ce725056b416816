"""X as the domain's channel service (interactions.channels): Chat interactions are X DMs, Twitter ones are tweets.
Registered for both in SocialConfig.ready()."""

from interactions.channels import Address
from interactions.errors import InteractionError
from social import access
from social.ingest.threads import dm_thread_key
from social.integrations.x_client import XClient, XError
from social.models import XAccount
from social.tasks import dispatch_send


def dm_thread_of(contact, account: XAccount) -> str:
    """X's 1:1 DM conversation id between the brand and the contact."""
    identity = next((i for i in contact.identities.all() if i.channel == "twitter"), None)
    if identity is None:
        raise InteractionError(f"{contact.display_name} has no X identity: add their X id in the Contact tab first.")
    return dm_thread_key(identity.external_id, account.x_user_id)


def account_for(contact) -> XAccount:
    """The X account the contact last talked to, else the only connected one."""
    last = contact.interactions.filter(x_account__isnull=False).select_related("x_account").order_by("-opened_at")
    if last.first():
        return last.first().x_account
    accounts = list(XAccount.objects.order_by("pk")[:2])
    if len(accounts) != 1:
        raise InteractionError(f"Perch cannot tell which X account should write to {contact.display_name}.")
    return accounts[0]


class XChannel:
    def dispatch_send(self, message_id: int) -> None:
        dispatch_send(message_id)

    def address_dm(self, contact) -> Address:
        account = account_for(contact)
        return Address(x_account=account, thread_key=dm_thread_of(contact, account))

    def send_refusal(self, *, interaction, kind: str, tweet=None) -> str:
        return access.send_refusal(interaction.x_account, kind=kind, tweet=tweet).reason

    def dm_refusal(self, *, interaction, tweet) -> str:
        """X's `receives_your_dm` for the tweet's author, asked once here (a user read): when X cannot be asked,
        the DM itself will say."""
        identity = tweet.author_identity
        if identity is None or interaction.x_account is None:
            return ""
        try:
            receives = XClient.for_account(interaction.x_account).receives_dms(identity.external_id)
        except XError:
            return ""
        handle = identity.handle or (tweet.author or {}).get("username") or identity.external_id
        return "" if receives is not False else f"@{handle} does not accept DMs from you"
