from django import forms
from django.contrib import admin

from social import services
from social.models import IngestCursor, RejectedEvent, XAccount

SECRET_FIELDS = ["consumer_secret", "access_token", "access_token_secret", "bearer_token"]


class XAccountForm(forms.ModelForm):
    """Secrets are write-only in the admin: shown empty, kept when left empty."""

    class Meta:
        model = XAccount
        fields = "__all__"
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in SECRET_FIELDS:
                self.fields[name].required = False
                self.fields[name].help_text = "Stored encrypted. Leave empty to keep the current value."

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for name in SECRET_FIELDS:
                if not cleaned.get(name):
                    cleaned[name] = getattr(self.instance, name)
        return cleaned


class IngestCursorInline(admin.TabularInline):
    model = IngestCursor
    extra = 0
    readonly_fields = ["stream", "since_id", "updated_at"]
    can_delete = False


@admin.register(XAccount)
class XAccountAdmin(admin.ModelAdmin):
    form = XAccountForm
    list_display = ["name", "handle", "mode", "team", "is_active", "needs_reconnect", "last_poll_ok_at", "last_error"]
    list_filter = ["mode", "is_active", "needs_reconnect", "team"]
    search_fields = ["name", "handle", "x_user_id"]
    inlines = [IngestCursorInline]
    readonly_fields = ["needs_reconnect", "last_polled_at", "last_poll_ok_at", "rate_limited_until", "last_error"]
    fieldsets = [
        (None, {"fields": ["name", "handle", "x_user_id", "team", "is_active"]}),
        ("Ingestion", {"fields": ["mode", "poll_interval_seconds", "api_base_url", "budget_overrides"]}),
        ("Health", {"fields": readonly_fields}),
        ("Credentials", {"fields": ["consumer_key", *SECRET_FIELDS]}),
    ]

    def save_model(self, request, obj, form, change):
        """Mode switches and reconnections go through their services (catch-up poll, held sends released)."""
        new_mode = obj.mode
        if change:
            obj.mode = XAccount.objects.get(pk=obj.pk).mode
        super().save_model(request, obj, form, change)
        if change and new_mode != obj.mode:
            services.xaccount_set_mode(account_id=obj.pk, mode=new_mode)
        credentials_changed = set(form.changed_data) & {"consumer_key", *SECRET_FIELDS}
        if change and obj.needs_reconnect and credentials_changed:
            services.xaccount_reconnected(account_id=obj.pk)


@admin.register(RejectedEvent)
class RejectedEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "stream", "error"]
    list_filter = ["stream", "account"]
    readonly_fields = ["account", "stream", "payload", "error", "created_at"]
