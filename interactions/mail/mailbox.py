"""The demo's mailbox: a Maildir under VAR_DIR that the demo SMTP server (`manage.py demo_mailbox`) fills with every
email it receives, and that the X sandbox's customer simulator lists, so a tester sees Perch's emails arrive."""

import email
import email.policy
import logging
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from django.conf import settings

from workspace.infra.logs import log_event

log = logging.getLogger(__name__)

MAILBOX_LIMIT = 50


def mailbox_dir() -> Path:
    return Path(settings.VAR_DIR) / "mailbox"


class DemoMailbox(Mailbox):
    """aiosmtpd's Maildir handler, with one log line per email instead of aiosmtpd's one per SMTP command."""

    def handle_message(self, message) -> None:
        super().handle_message(message)
        log_event(log, "email.received", to=str(message.get("To", "")), subject=str(message.get("Subject", ""))[:80])


def demo_smtp_server(*, port: int, host: str = "127.0.0.1") -> Controller:
    """The demo's SMTP server in a thread of its own, storing into the demo's Maildir; not started yet."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    return Controller(DemoMailbox(mailbox_dir()), hostname=host, port=port)


def mailbox_emails(*, limit: int = MAILBOX_LIMIT) -> list[dict]:
    """The emails received, newest first: to, from, subject, when it arrived, its text and Message-ID."""
    root = mailbox_dir()
    files = [path for folder in ("new", "cur") if (root / folder).is_dir() for path in (root / folder).iterdir()]
    arrived = []
    for path in files:
        try:
            arrived.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # a reader moved it meanwhile
            continue
    arrived.sort(key=lambda found: (found[0], found[1].name), reverse=True)
    return [_email(path, at) for at, path in arrived[:limit]]


def _email(path: Path, at: float) -> dict:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {
        "to": str(message.get("To", "")),
        "from": str(message.get("From", "")),
        "subject": str(message.get("Subject", "")),
        "message_id": str(message.get("Message-ID", "")),
        "received_at": datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z"),
        "text": body.get_content() if body is not None else "",
    }
