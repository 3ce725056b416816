"""The simulator's view of what the sandbox billed (GET /x-sandbox/simulator/api/charges?user_id=…): the sums of
the x-sandbox-cost-usd headers per endpoint, for tests to hold Perch's ledger against."""

from django.db.models import Sum

from social.sandbox.models import SandboxCharge
from social.sandbox.simulator import _user, simulator_api


@simulator_api("GET")
def charges(request, body):
    """{"user_id", "total", "endpoints": {endpoint: dollars}, "rows": [{day, endpoint, price, calls, units, amount}]}"""
    user = _user(request.GET.get("user_id", ""))
    rows = SandboxCharge.objects.filter(user=user).order_by("day", "endpoint", "price")
    per_endpoint = rows.values("endpoint").annotate(amount=Sum("amount")).order_by("endpoint")
    total = rows.aggregate(total=Sum("amount"))["total"] or 0
    return {
        "user_id": user.pk,
        "total": str(total),
        "endpoints": {row["endpoint"]: str(row["amount"]) for row in per_endpoint},
        "rows": [
            {"day": r.day.isoformat(), "endpoint": r.endpoint, "price": r.price, "calls": r.calls, "units": r.units,
             "amount": str(r.amount)}
            for r in rows
        ],
    }  # fmt: skip
