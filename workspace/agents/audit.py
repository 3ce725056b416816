"""The audit log: one helper the services call inside their own transaction, so an entry exists exactly when the
change it describes was committed (no signals: the service knows who did it and why)."""

from django.db import models

from workspace.agents.models import AuditEntry

Verb = AuditEntry.Verb


def _actor_label(actor) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.get_username()


def audit_record(*, actor, verb: str, obj: models.Model, details: dict | None = None) -> AuditEntry:
    """Writes one audit entry about `obj` (label taken now, so it survives the object's deletion)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor),
        verb=verb,
        object_type=obj._meta.label,
        object_id=str(obj.pk or ""),
        object_label=str(obj)[:200],
        details=details or {},
    )


def audit_entries_about(model: type[models.Model], pk) -> models.QuerySet[AuditEntry]:
    """The entries about one object (by its model and primary key, as audit_record labels them), newest first."""
    return AuditEntry.objects.filter(object_type=model._meta.label, object_id=str(pk)).order_by("-at", "-pk")
