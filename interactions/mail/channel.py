"""Email as the domain's channel service (interactions.channels): an Email interaction holds emails Perch sends to
one address of the contact. Registered in MailConfig.ready()."""

from contacts.models import IdentityChannel
from interactions.channels import Address
from interactions.errors import InteractionError
from interactions.mail import tasks
from interactions.models import Message


def email_address_of(contact) -> str:
    """The contact's email address (their first, when they have several); refused in words when they have none."""
    identity = contact.identities.filter(channel=IdentityChannel.EMAIL).order_by("pk").first()
    if identity is None:
        raise InteractionError(f"{contact.display_name} has no email address: add one in the Contact tab first.")
    return identity.external_id


class EmailChannel:
    def dispatch_send(self, message_id: int) -> None:
        tasks.dispatch_send(message_id)

    def address_dm(self, contact) -> Address:
        """Where a new email to the contact goes: from Perch's own address (no X account), to theirs."""
        return Address(x_account=None, thread_key=email_address_of(contact))

    def send_refusal(self, *, interaction, kind: str, tweet=None) -> str:
        # Email has none of X's rules (access levels, the summoned rule): an email may always be queued.
        return "" if kind == Message.Kind.EMAIL else "An Email interaction sends emails only."

    def dm_refusal(self, *, interaction, tweet) -> str:
        return ""  # Move to DM and Reply by DM are X's: nothing to say about them here
