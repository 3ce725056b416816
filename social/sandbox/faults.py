"""Injected faults: tests and the demo make the sandbox fail the way X does (429, 401, 5xx, slow answers)."""

from django.db import transaction

from social.sandbox.models import SandboxFault


def next_fault(method: str, path: str) -> SandboxFault | None:
    """The fault this request triggers, if any: faults match by method and path prefix, let `skip` matching
    requests through, then fire `times` times."""
    with transaction.atomic():
        for fault in SandboxFault.objects.select_for_update().filter(method=method).order_by("pk"):
            if not path.startswith(fault.path) or fault.fired >= fault.times:
                continue
            fault.seen += 1
            fire = fault.seen > fault.skip
            fault.fired += int(fire)
            fault.save(update_fields=["seen", "fired"])
            if fire:
                return fault
    return None
