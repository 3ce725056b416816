"""The demo's SMTP server for tests: the real aiosmtpd server (`manage.py demo_mailbox`'s), storing into the demo's
Maildir (emptied first), with Perch's SMTP backend pointed at it. The live server's simulator reads the same Maildir
(tests share VAR_DIR).

The live server (Daphne, forked once per session) sends its email by SMTP to LIVE_SERVER_SMTP_PORT, where this
fixture's server listens while a test wants mail: a browser test's email arrives like `make run`'s, and with no
server there a send fails the way a dead mail server does."""

import shutil
import socket

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LIVE_SERVER_SMTP_PORT = _free_port()


def smtp_to(settings, port: int) -> None:
    """Perch's email backend: real SMTP to 127.0.0.1:port (pytest-django makes every test use locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


class DemoMailbox:
    def __init__(self, port: int):
        self.port = port
        self.server = None

    def start(self) -> None:
        from interactions.mail.mailbox import demo_smtp_server

        self.server = demo_smtp_server(port=self.port)
        self.server.start()

    def stop(self) -> None:
        """The mail server goes down: the port refuses connections until `start`."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def emails(self) -> list[dict]:
        """What the server received, newest first (read from its Maildir, as the simulator reads it)."""
        from interactions.mail.mailbox import mailbox_emails

        return mailbox_emails()


@pytest.fixture
def demo_mailbox(settings):
    from interactions.mail.mailbox import mailbox_dir

    shutil.rmtree(mailbox_dir(), ignore_errors=True)
    mailbox = DemoMailbox(LIVE_SERVER_SMTP_PORT)  # the port the live server sends to, and this process too
    smtp_to(settings, mailbox.port)
    mailbox.start()
    yield mailbox
    mailbox.stop()
