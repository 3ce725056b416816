from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from social import access, budget, prices, replay, services
from social.models import IngestCursor, RejectedEvent, XAccount, XSubscription, XWebhook
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

    def clean_price_overrides(self):
        """Refused in words unless each entry is one of X's prices (social/prices.py) with a dollar amount."""
        overrides = self.cleaned_data.get("price_overrides") or {}
        try:
            prices.parse_overrides(overrides)
        except prices.PriceOverrideError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return overrides

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
    actions = ["connect_webhook_again", "rotate_webhook_url", "ask_x_again"]
    health_fields = [
        "needs_reconnect", "last_polled_at", "last_poll_ok_at", "silent_since", "rate_limited_until", "last_error",
    ]  # fmt: skip
    readonly_fields = [*health_fields, "budget_use", "activity_api", "last_delivery_at", "recent_replays",
                       "access_changed_reason", "access_refusals"]  # fmt: skip
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
        ("X spend (pay-per-use)", {"fields": ["monthly_spend_cap", "price_overrides"]}),
        ("Credentials (stored encrypted, never shown)", {"fields": ["consumer_key", *SECRET_FIELDS]}),
    ]

    def get_fieldsets(self, request, obj=None):
        """The webhook's state at X and the URL Perch registers there, as this server is reached (read-only: rotate
        it with the action)."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.pk:
            return fieldsets
        url = services.public_webhook_url(obj, public_url=request.build_absolute_uri("/"))
        description = format_html(
            "In webhook mode Perch registers this URL at X and subscribes to the account's events (X wants HTTPS and "
            "no port; set PERCH_PUBLIC_URL when X reaches this server at another address): "
            '<code class="webhook-url">{}</code><br>It contains a secret: to replace it, use the action “{}” in '
            "the list of X accounts.",
            url,
            self.rotate_webhook_url.short_description,
        )
        webhooks = access.may(obj, access.Action.WEBHOOKS)
        if not webhooks:
            description = format_html("{}<br><strong>X would refuse:</strong> {}", description, webhooks.reason)
        after = [name for name, _ in fieldsets].index("Ingestion") + 1
        fields = {"fields": ["activity_api", "last_delivery_at", "recent_replays"], "description": description}
        webhook = ("Webhook (X Activity API)", fields)
        return [*fieldsets[:after], webhook, *fieldsets[after:]]

    @admin.display(description="At X")
    def activity_api(self, account: XAccount) -> str:
        """The webhook as X has it (registered, CRC valid, or what X refused, in its words) and each subscription."""
        hook = XWebhook.objects.filter(account=account).first() if account.pk else None
        if hook is None:
            return "Not registered: the account polls." if account.mode == XAccount.Mode.POLLING else "Not registered."
        crc = {True: "CRC valid", False: "CRC failing", None: "CRC not checked yet"}[hook.crc_valid]
        at_x = format_html(" · X's webhook id {} · {}", hook.x_webhook_id, crc) if hook.x_webhook_id else ""
        lines = [format_html('<p class="webhook-state webhook-{}"><strong>{}</strong>{}</p>', hook.state,
                             hook.get_state_display(), at_x)]  # fmt: skip
        if hook.error:
            lines.append(format_html('<p class="webhook-error">X said: {}</p>', hook.error))
        if hook.retry_at:
            lines.append(format_html("<p>Trying again at {} UTC.</p>", f"{hook.retry_at:%H:%M:%S}"))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (s.event_type, s.x_subscription_id or "—", s.get_state_display(), s.error)
                for s in XSubscription.objects.filter(account=account)
            ),
        )
        head = mark_safe("<tr><th>Event</th><th>X's id</th><th>State</th><th>X said</th></tr>")  # constant
        lines.append(format_html('<table class="subscriptions"><thead>{}</thead><tbody>{}</tbody></table>', head, rows))
        return format_html_join("", "{}", ((line,) for line in lines))

    @admin.display(description="Replays after downtime")
    def recent_replays(self, account: XAccount) -> str:
        """The last replays Perch asked X for (social.replay): the window, how it ended and what X said."""
        replays = replay.recent_replays(account_id=account.pk) if account.pk else []
        if not replays:
            return "None: X has delivered everything since Perch last checked." if account.pk else "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} – {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(r.requested_at), "Y-m-d H:i"),
                    date_format(localtime(r.from_at), "H:i"),
                    date_format(localtime(r.to_at), "H:i"),
                    r.get_state_display(),
                    "—" if r.events is None else r.events,
                    "yes" if r.caught_up else "no",
                    r.error or r.job_id,
                )
                for r in replays
            ),
        )
        head = mark_safe(  # constant
            "<tr><th>Asked</th><th>Window</th><th>State</th><th>Events stored</th><th>Catch-up poll</th>"
            "<th>X's job or words</th></tr>"
        )
        return format_html('<table class="replays"><thead>{}</thead><tbody>{}</tbody></table>', head, rows)

    @admin.action(description="Connect webhook again (polling accounts: remove it at X again)")
    def connect_webhook_again(self, request, queryset):
        for account in queryset:
            services.xaccount_connect_again(
                account_id=account.pk, public_url=request.build_absolute_uri("/"), by=request.user
            )
            verb = "being connected at X" if account.mode == XAccount.Mode.WEBHOOK else "being removed at X"
            self.message_user(request, f"{account}: the webhook is {verb}; its state shows on the account's page.")

    @admin.action(description="Give the selected accounts a new webhook URL")
    def rotate_webhook_url(self, request, queryset):
        for account in queryset:
            account = services.xaccount_rotate_webhook_token(account_id=account.pk, by=request.user)
            then = (
                "Perch registers the new one at X"
                if account.mode == XAccount.Mode.WEBHOOK
                else "the new one is registered at X when the account switches to webhook mode"
            )
            self.message_user(
                request,
                format_html(
                    "{}: the old webhook URL no longer answers; {}: <code>{}</code>",
                    account,
                    then,
                    services.public_webhook_url(account, public_url=request.build_absolute_uri("/")),
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
            services.xaccount_set_mode(account_id=obj.pk, mode=new_mode, public_url=request.build_absolute_uri("/"))
        elif not change and obj.mode == XAccount.Mode.WEBHOOK:  # a new account in webhook mode: connect it at X
            services.xaccount_connect_again(account_id=obj.pk, public_url=request.build_absolute_uri("/"))
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
