from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from social import access, budget, services
from social.models import IngestCursor, RejectedEvent, XAccount
from workspace.agents.admin_audit import AuditedAdminMixin

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
        if cleaned.get("mode") == XAccount.Mode.WEBHOOK and {"mode", "access"} & set(self.changed_data):
            # Asked as the account will be: with the access chosen here (a new access forgets X's refusals).
            will_be = XAccount(handle=cleaned.get("handle") or self.instance.handle, access=cleaned.get("access"))
            if "access" not in self.changed_data:
                will_be.access_refusals = self.instance.access_refusals
            verdict = access.may(will_be, access.Action.WEBHOOKS)
            if not verdict:
                self.add_error("mode", verdict.reason)
        return cleaned


class IngestCursorInline(admin.TabularInline):
    """Where polling stands per stream: Perch moves it with the rows it covers, so nobody edits it by hand."""

    model = IngestCursor
    extra = 0
    fields = readonly_fields = ["stream", "since_id", "resume_token", "updated_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(XAccount)
class XAccountAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = XAccountForm
    list_display = [
        "name", "handle", "mode", "poll_interval_seconds", "team", "is_active", "needs_reconnect", "last_poll_ok_at",
        "last_error",
    ]  # fmt: skip
    list_filter = ["mode", "is_active", "needs_reconnect", "team"]
    list_select_related = ["team"]
    search_fields = ["name", "handle", "x_user_id"]
    inlines = [IngestCursorInline]
    actions = ["rotate_webhook_url", "ask_x_again"]
    health_fields = [
        "needs_reconnect", "last_polled_at", "last_poll_ok_at", "silent_since", "rate_limited_until", "last_error",
    ]  # fmt: skip
    readonly_fields = [*health_fields, "budget_use", "access_changed_reason", "access_refusals"]
    fieldsets = [
        (None, {"fields": ["name", "handle", "x_user_id", "team", "is_active"]}),
        (
            "X API access",
            {
                "fields": ["access", "access_changed_reason", "access_refusals", "move_to_dm_text"],
                "description": "What the account's X app may do (set it to what X sells the app; Perch lowers it "
                "when X refuses a call as not in the access). Self-serve: no likes, and public replies only to "
                "tweets that @mention the account or quote its posts; agents get Reply by DM for the others.",
            },
        ),
        ("Ingestion", {"fields": ["mode", "poll_interval_seconds", "keywords", "api_base_url"]}),
        ("Health", {"fields": health_fields}),
        ("X API budget", {"fields": ["budget_use", "budget_overrides"]}),
        ("Credentials (stored encrypted, never shown)", {"fields": ["consumer_key", *SECRET_FIELDS]}),
    ]

    def get_fieldsets(self, request, obj=None):
        """The webhook URL to register with X, as this server is reached (read-only: rotate it with the action)."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.pk:
            return fieldsets
        url = request.build_absolute_uri(obj.webhook_path)
        description = format_html(
            "In webhook mode, register this URL with X (which wants HTTPS and no port): "
            '<code class="webhook-url">{}</code><br>It contains a secret: to replace it, use the action “{}” in '
            "the list of X accounts.",
            url,
            self.rotate_webhook_url.short_description,
        )
        webhooks = access.may(obj, access.Action.WEBHOOKS)
        if not webhooks:
            description = format_html("{}<br><strong>X would refuse:</strong> {}", description, webhooks.reason)
        after = [name for name, _ in fieldsets].index("Ingestion") + 1
        return [*fieldsets[:after], ("Webhook", {"fields": [], "description": description}), *fieldsets[after:]]

    @admin.action(description="Give the selected accounts a new webhook URL")
    def rotate_webhook_url(self, request, queryset):
        for account in queryset:
            account = services.xaccount_rotate_webhook_token(account_id=account.pk, by=request.user)
            self.message_user(
                request,
                format_html(
                    "{}: the old webhook URL no longer answers. Register the new one with X: <code>{}</code>",
                    account,
                    request.build_absolute_uri(account.webhook_path),
                ),
                messages.WARNING,
            )

    @admin.action(description="Ask X again for what it refused as not in the access")
    def ask_x_again(self, request, queryset):
        for account in queryset:
            services.xaccount_ask_x_again(account_id=account.pk, by=request.user)
        self.message_user(request, "Perch asks X again; X's next 403 would say otherwise.", messages.SUCCESS)

    @admin.display(description="Use per endpoint")
    def budget_use(self, account: XAccount) -> str:
        """The account's X API budget right now: calls used of the limit in each window, and when it resets."""
        if not account.pk:
            return "—"
        now = timezone.now()
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>",
            (
                (w.endpoint, _window(w.window_seconds), w.used, w.limit, _until(w.resets_at - now))
                for w in budget.usage(account)
            ),
        )
        head = mark_safe("<tr><th>Endpoint</th><th>Window</th><th>Used</th><th>Resets in</th></tr>")  # constant
        return format_html('<table class="budget"><thead>{}</thead><tbody>{}</tbody></table>', head, rows)

    def save_model(self, request, obj, form, change):
        """Mode switches and reconnections go through their services (catch-up poll, held sends released)."""
        new_mode = obj.mode
        if change:
            obj.mode = XAccount.objects.get(pk=obj.pk).mode
        if change and "access" in form.changed_data:  # the supervisor says what X sells the app: X is asked again
            obj.access_refusals, obj.access_changed_reason = {}, ""
        super().save_model(request, obj, form, change)
        if change and new_mode != obj.mode:
            services.xaccount_set_mode(account_id=obj.pk, mode=new_mode)
        # What X's verdict depends on: a 401's token, or whose account the credentials are (social.credentials).
        credentials_changed = set(form.changed_data) & {"consumer_key", "x_user_id", "api_base_url", *SECRET_FIELDS}
        if change and obj.needs_reconnect and credentials_changed:
            services.xaccount_reconnected(account_id=obj.pk)


def _window(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 else f"{seconds // 60} min"


def _until(delta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    return (
        f"{seconds // 60} min {seconds % 60:02d} s"
        if seconds < 3600
        else f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    )


@admin.register(RejectedEvent)
class RejectedEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "stream", "error"]
    list_filter = ["stream", "account"]
    readonly_fields = ["account", "stream", "payload", "error", "created_at"]
