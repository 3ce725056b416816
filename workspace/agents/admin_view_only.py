"""Admin pages that show records the services own (transcripts, offers, presence) without letting anyone edit them:
a hand edit would bypass the lifecycle (a sent message set back to `queued` would go to X again)."""


class ViewOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
