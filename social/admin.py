from django import forms
from django.contrib import admin

from social.models import IngestCursor, XAccount

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
    list_display = ["name", "handle", "mode", "team", "is_active", "effective_api_base_url"]
    list_filter = ["mode", "is_active", "team"]
    search_fields = ["name", "handle", "x_user_id"]
    inlines = [IngestCursorInline]
    fieldsets = [
        (None, {"fields": ["name", "handle", "x_user_id", "team", "is_active"]}),
        ("Ingestion", {"fields": ["mode", "poll_interval_seconds", "api_base_url"]}),
        ("Credentials", {"fields": ["consumer_key", *SECRET_FIELDS]}),
    ]
