"""Settings changed in the admin (X accounts, routing rules, teams, agents) go to the audit log, in the same
transaction as the change: the admin's change view is atomic, and deletions are wrapped here."""

from django.db import transaction

from workspace.agents.audit import Verb, audit_record


class AuditedAdminMixin:
    """Mix into a ModelAdmin whose objects are settings a supervisor changes."""

    def log_addition(self, request, obj, message):
        audit_record(actor=request.user, verb=Verb.SETTINGS_CREATE, obj=obj, details={"changes": message})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        # Field names only (never values: X secrets pass through these forms).
        audit_record(actor=request.user, verb=Verb.SETTINGS_CHANGE, obj=obj, details={"changes": message})
        return super().log_change(request, obj, message)

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=request.user, verb=Verb.SETTINGS_DELETE, obj=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(actor=request.user, verb=Verb.SETTINGS_DELETE, obj=obj)
            super().delete_queryset(request, queryset)
