"""The simulator's Mailbox panel: the emails the demo SMTP server received (Perch's emails to customers), read from
its Maildir. Not X's: Perch's second channel shown beside X's stand-in, so a tester sees an email arrive."""

from interactions.mail.mailbox import mailbox_emails
from social.sandbox.simulator import simulator_api


@simulator_api("GET")
def mailbox(request, body):
    """{"emails": [{"to", "from", "subject", "received_at", "text", "message_id"}, ...]}, newest first."""
    return {"emails": mailbox_emails()}
