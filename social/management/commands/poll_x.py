"""python manage.py poll_x [--account ID] [--once] — poll X without Celery (operators, the demo, tests)."""

import time

from django.core.management.base import BaseCommand, CommandError

from social import polling
from social.integrations.x_client import XError, XRateLimited
from social.models import XAccount


class Command(BaseCommand):
    help = "Polls DMs and mentions of X accounts: once, or every few seconds until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, help="Only this XAccount id (default: every active account).")
        parser.add_argument("--once", action="store_true", help="Poll once and exit.")
        parser.add_argument("--every", type=float, default=5.0, help="Seconds between rounds without --once.")

    def handle(self, *args, account=None, once=False, every=5.0, **options):
        if account is not None and not XAccount.objects.filter(pk=account).exists():
            raise CommandError(f"There is no X account with id {account}.")
        while True:
            if account is not None:
                due = {account: None}
            elif once:
                due = dict.fromkeys(XAccount.objects.filter(is_active=True).values_list("pk", flat=True))
            else:
                due = polling.accounts_due()  # each stream on its own schedule (social.schedule)
            for account_id, streams in due.items():
                self.poll(account_id, streams)
            if once:
                return
            time.sleep(every)

    def poll(self, account_id: int, streams: list[str] | None) -> None:
        try:
            report = polling.poll_account(account_id=account_id, streams=streams)
        except XRateLimited as exc:
            self.stderr.write(f"account {account_id}: {exc}")
            return
        except XError as exc:
            self.stderr.write(f"account {account_id}: {exc}")
            return
        if report.error:
            self.stderr.write(f"account {account_id}: skipped — {report.error}")
            return
        self.stdout.write(
            f"account {account_id}: {report.created} new, {report.duplicates} already known, "
            f"{report.rejected} rejected ({report.pages} pages)"
        )
