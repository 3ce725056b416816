"""Sending one email row through Django's email framework (the server EMAIL_URL names). Every change of the row's
delivery state is one of the outbox's moves (interactions/outbox.py): claimed (`sending`, committed) before the mail
server is called, then sent with its Message-ID or failed with the server's refusal in words; Retry queues it again.

At least once, not exactly once: SMTP cannot be asked whether an earlier try got through. A worker killed after the
server took the email but before the row was marked sent leaves it `sending`; once its claim lapses the sweep sends
it again, with the same Message-ID (derived from the row), so the second copy is recognisably the first one again.
"""

import hashlib
import logging
import smtplib
from datetime import timedelta
from email.utils import parseaddr
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone

from interactions import outbox
from interactions.models import Message
from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

MESSAGE_ID_MAX = Message._meta.get_field("external_id").max_length  # the Message-ID is kept as the row's external id
DISPATCH_LOST_AFTER = timedelta(seconds=30)  # a queued email no worker took this long after it was written


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    IN_FLIGHT = "in flight"  # another worker holds the claim
    SKIPPED = "skipped"  # already sent or failed


def send_lease() -> timedelta:
    """How long a claim keeps other workers off an email: connecting and a few SMTP round trips, each within
    EMAIL_TIMEOUT, and a margin."""
    return timedelta(seconds=3 * (settings.EMAIL_TIMEOUT or 20) + 10)


def message_id_of(message: Message) -> str:
    """The email's Message-ID, the same for every try of one row: its id and a digest of its idempotency key (ids
    repeat after a database reset, keys do not), at the sender's domain, within the external id's 32 characters."""
    left = f"{message.pk}.{hashlib.sha256((message.idempotency_key or '').encode()).hexdigest()[:6]}"
    domain = parseaddr(settings.PERCH_EMAIL_FROM)[1].rpartition("@")[2] or "perch.localhost"
    while len(f"<{left}@{domain}>") > MESSAGE_ID_MAX and "." in domain:
        domain = domain.partition(".")[2]  # care.eu.example.com → eu.example.com → example.com
    return f"<{left}@{domain[: MESSAGE_ID_MAX - len(left) - 3]}>"


def send(*, message_id: int) -> Outcome:
    claim = outbox.claim(message_id, lease=send_lease())
    if claim.message is None:
        return Outcome.IN_FLIGHT if claim.in_flight else Outcome.SKIPPED
    message = claim.message
    external_id = message_id_of(message)
    try:
        _email(message, external_id).send()
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors; a header Django refuses, a ValueError
        moved = outbox.fail(message, refusal_in_words(exc))
        outcome = Outcome.FAILED
    else:
        moved = outbox.mark_sent(message, external_id=external_id)
        outcome = Outcome.SENT
    log_event(
        log, "email.send", level=logging.WARNING if outcome == Outcome.FAILED else logging.INFO,
        interaction_id=message.interaction_id, message_id=message.pk, outcome=outcome.value if moved else "moved",
        message_id_header=external_id, again=claim.ask_x_first, error=message.last_error,
    )  # fmt: skip
    return outcome if moved else Outcome.SKIPPED


def _email(message: Message, external_id: str) -> EmailMessage:
    return EmailMessage(
        subject=message.subject,
        body=message.text,
        from_email=settings.PERCH_EMAIL_FROM,
        to=[message.interaction.thread_key],  # the contact's address when the email was written (EmailChannel)
        headers={"Message-ID": external_id},
    )


def refusal_in_words(exc: Exception) -> str:
    """What went wrong, for the agent beside Retry."""
    server = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{address} ({_said(*answer)})" for address, answer in exc.recipients.items())
        return f"The mail server refused the address {refused}."
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"The mail server refused the sender {exc.sender} ({_said(exc.smtp_code, exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server at {server} refused Perch's login ({_said(exc.smtp_code, exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server refused the email ({_said(exc.smtp_code, exc.smtp_error)})."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server at {server} closed the connection before the email was sent."
    if isinstance(exc, smtplib.SMTPException) or not isinstance(exc, OSError):  # smtplib's are OSErrors too
        return f"The email could not be sent: {exc}"
    if isinstance(exc, TimeoutError):
        return f"The mail server at {server} did not answer within {settings.EMAIL_TIMEOUT} s."
    return f"The mail server at {server} did not answer ({exc.strerror or exc})."  # refused, unreachable, no DNS


def _said(code, text) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()


def dispatchable(now=None):
    """Emails to send now: queued ones no worker took (their dispatch was lost: the broker was down), and `sending`
    ones whose worker died (their claim lapsed), which go again (at least once)."""
    now = now or timezone.now()
    lost = Q(delivery=Message.Delivery.QUEUED, created_at__lte=now - DISPATCH_LOST_AFTER)
    lapsed = Q(delivery=Message.Delivery.SENDING) & (Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - send_lease()))
    return (
        Message.objects.filter(lost | lapsed, kind=Message.Kind.EMAIL, direction=Message.Direction.OUTBOUND)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
