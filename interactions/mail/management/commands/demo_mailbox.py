"""python manage.py demo_mailbox — the demo's SMTP server: takes every email on 127.0.0.1:PERCH_SMTP_PORT and keeps
it in the Maildir the customer simulator shows (interactions/mail/mailbox.py). `make run` starts it unless EMAIL_URL
names a real server. It relays nothing: nothing it takes leaves the machine."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from interactions.mail.mailbox import demo_smtp_server, mailbox_dir


class Command(BaseCommand):
    help = "Runs the demo's SMTP server; every email it receives is kept in var/mailbox for the simulator to show."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PERCH_SMTP_PORT)

    def handle(self, *args, port: int, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):  # honcho's stop and Ctrl-C: the server thread ends cleanly
            signal.signal(signum, lambda *_: stop.set())
        server = demo_smtp_server(port=port)
        server.start()
        self.stdout.write(f"Demo SMTP server on 127.0.0.1:{port}, keeping every email in {mailbox_dir()}")
        self.stdout.flush()
        try:
            while not stop.wait(1):
                pass
        finally:
            server.stop()
