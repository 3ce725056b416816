"""python manage.py x_budget — X API budget use per account and endpoint, with time to reset, beside what X charges
for that endpoint today and this month (social/spend.py)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from social import budget
from social.models import XAccount
from social.prices import usd
from social.spend import accounts_spend


class Command(BaseCommand):
    help = "Prints, per X account, how much of each endpoint's rate-limit window is used and when it resets."

    def handle(self, *args, **options):
        now = timezone.now()
        spend = {s.account.pk: s for s in accounts_spend(now=now)}
        for account in XAccount.objects.order_by("name"):
            flags = " — NEEDS RECONNECT" if account.needs_reconnect else ""
            self.stdout.write(self.style.MIGRATE_HEADING(f"{account} (id {account.pk}){flags}"))
            mine = spend[account.pk]
            cap = f" of {usd(mine.cap)} cap" if mine.cap else ""
            self.stdout.write(f"  X spend: today {usd(mine.today)}, this month {usd(mine.month)}{cap}")
            if mine.held:
                self.stdout.write(self.style.WARNING(f"  {mine.held}"))
            by_endpoint = {e.endpoint: e for e in mine.endpoints}
            self.stdout.write(f"  {'endpoint':<14}{'window':>8}{'used':>7}{'limit':>7}  resets in  spend today / month")
            for row in budget.usage(account):
                window = f"{row.window_seconds // 60} min" if row.window_seconds < 86400 else "24 h"
                seconds = max(0, int((row.resets_at - now).total_seconds()))
                cost = by_endpoint.get(row.endpoint)
                spent = f"{usd(cost.today)} / {usd(cost.month)}" if cost else "$0.00 / $0.00"
                line = (
                    f"  {row.endpoint:<14}{window:>8}{row.used:>7}{row.limit:>7}  {seconds // 60}m{seconds % 60:02d}s"
                    f"     {spent}"
                )
                self.stdout.write(self.style.WARNING(line) if row.used >= row.limit else line)
