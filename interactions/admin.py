import re

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.timesince import timesince

from interactions import services
from interactions.canned import PLACEHOLDER
from interactions.errors import InteractionError
from interactions.models import (
    CannedResponse,
    Interaction,
    InteractionNote,
    Label,
    Message,
    NotificationTemplate,
    Offer,
    RoutingRule,
)
from workspace.agents.admin_audit import AuditedAdminMixin
from workspace.agents.admin_view_only import ViewOnlyAdminMixin
from workspace.desk.forms import ReassignForm, reassignable_agents


class MessageInline(admin.TabularInline):
    """The transcript, read-only: what was said is never edited."""

    model = Message
    extra = 0
    can_delete = False
    fields = ["created_at", "direction", "kind", "text", "delivery", "author_agent", "external_id"]
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "Transcript"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author_agent")

    def has_add_permission(self, request, obj=None):
        return False


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    fields = ["agent", "state", "created_at", "expires_at", "responded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent")

    def has_add_permission(self, request, obj=None):
        return False


class NoteInline(admin.TabularInline):
    model = InteractionNote
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


@admin.register(Interaction)
class InteractionAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: who has it, its state and its priority move only through services (the actions below, the live
    board, the agents' workspace, routing), so no field is a form field and there is no Add and no Delete. The
    actions run from the change list: they need no change permission, only the services' own checks."""

    list_display = ["id", "kind", "contact", "x_account", "agent", "state", "priority", "waiting", "opened_at"]
    list_filter = ["state", "review", "kind", "x_account", "agent", "disposition", "labels"]
    search_fields = ["contact__display_name", "contact__identities__handle", "thread_key", "messages__text"]
    list_select_related = ["contact", "x_account", "agent"]
    date_hierarchy = "opened_at"
    fieldsets = [
        (None, {"fields": ["kind", "contact", "x_account", "agent", "state", "priority", "sentiment", "language",
                           "team"]}),
        ("Lifecycle", {"fields": ["opened_at", "queued_at", "prioritised_at", "accepted_at", "ended_at", "ended_by",
                                  "done_at", "disposition", "done_note", "labels", "agent_read_at"]}),
        ("Routing", {"classes": ["collapse"], "fields": ["thread_key", "root_tweet_id", "review", "review_rule",
                                                          "required_skills", "sentiment_overridden"]}),
    ]  # fmt: skip
    inlines = [MessageInline, NoteInline, OfferInline]
    actions = ["reassign", "force_end", "requeue"]

    @admin.display(description="Waiting", ordering="queued_at")
    def waiting(self, interaction: Interaction) -> str:
        """How long a queued interaction has waited for an agent (empty once someone has it)."""
        if interaction.state != "queued":
            return ""
        return timesince(interaction.queued_at or interaction.opened_at)

    def _each(self, request, queryset, move, done: str) -> None:
        """Runs a supervisor service on every selected interaction; a refusal is reported, the rest go through."""
        moved = 0
        for interaction_id in queryset.values_list("pk", flat=True):
            try:
                move(interaction_id)
                moved += 1
            except InteractionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if moved:
            self.message_user(request, f"{moved} interaction{'s' if moved != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Reassign the selected interactions to an agent…")
    def reassign(self, request, queryset):
        if request.POST.get("confirm"):
            form = ReassignForm(request.POST)
            if not form.is_valid():
                self.message_user(request, form.refusal(), messages.ERROR)
                return None
            agent = form.cleaned_data["agent"]
            self._each(
                request,
                queryset,
                lambda pk: services.interaction_reassign(interaction_id=pk, to_agent=agent, by=request.user),
                f"reassigned to {agent.get_full_name() or agent}",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reassign interactions",
            "interactions": queryset.select_related("contact", "agent"),
            "agents": reassignable_agents(),
        }
        return TemplateResponse(request, "admin/interactions/interaction/reassign.html", context)

    @admin.action(description="Force-end the selected interactions")
    def force_end(self, request, queryset):
        self._each(
            request, queryset, lambda pk: services.interaction_force_end(interaction_id=pk, by=request.user), "ended"
        )

    @admin.action(description="Put the selected interactions back in the queue")
    def requeue(self, request, queryset):
        self._each(
            request, queryset, lambda pk: services.interaction_requeue(interaction_id=pk, by=request.user), "requeued"
        )


@admin.register(Message)
class MessageAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "interaction", "direction", "kind", "delivery", "short_text", "created_at"]
    list_filter = ["direction", "kind", "delivery", "x_account"]
    search_fields = ["text", "external_id", "idempotency_key"]
    list_select_related = ["interaction__contact"]
    raw_id_fields = ["interaction", "author_identity"]
    readonly_fields = ["author_agent", "x_account"]

    @admin.display(description="Text")
    def short_text(self, message: Message) -> str:
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"


@admin.register(Offer)
class OfferAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["interaction", "agent", "state", "created_at", "expires_at", "responded_at"]
    list_filter = ["state", "agent"]
    list_select_related = ["interaction__contact", "agent"]
    raw_id_fields = ["interaction"]


@admin.register(Label)
class LabelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "color", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(CannedResponse)
class CannedResponseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "audience", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["title", "text", "owner__username"]
    list_select_related = ["team", "owner"]
    raw_id_fields = ["owner"]

    @admin.display(description="For")
    def audience(self, response: CannedResponse) -> str:
        return f"Team {response.team}" if response.team_id else f"Only {response.owner}"


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "keywords",
        "vip_contacts",
        "sentiment_below",
        "language",
        "channel",
        "priority_boost",
        "team",
        "unsummoned_to_review",
    ]
    list_filter = ["is_active", "vip_contacts", "channel", "team", "unsummoned_to_review"]
    list_select_related = ["team"]
    search_fields = ["name", "keywords"]
    filter_horizontal = ["required_skills"]


PLACEHOLDERS_HELP = (
    "Placeholders, filled in when an agent sends it: {contact_name} (the contact's name), {agent_name} (the agent's "
    "first name), {brand_handle} (the brand's X handle, e.g. @perchdemoair). Example: \"Hi {contact_name}, your "
    'refund is on its way. — {agent_name}, {brand_handle}".'
)
_BRACED = re.compile(r"\{([^{}]*)\}")


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ["name", "channel", "subject", "text", "team", "is_active"]
        help_texts = {"subject": "Emails only (a DM has no subject); empty: the name. Placeholders allowed."}

    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "text"):
            unknown = [f"{{{name}}}" for name in _BRACED.findall(cleaned.get(field) or "")
                       if not PLACEHOLDER.fullmatch(f"{{{name}}}")]  # fmt: skip
            if unknown:
                self.add_error(field, f"Unknown placeholder {', '.join(unknown)}: use {{contact_name}}, "
                                      "{agent_name} or {brand_handle}.")  # fmt: skip
            elif set("{}") & set(PLACEHOLDER.sub("", cleaned.get(field) or "")):  # "{{contact_name}}", "{contact_name"
                self.add_error(field, "A brace that is not part of a placeholder would reach the customer as written: "
                                      "write placeholders as {contact_name}, with one brace each side.")  # fmt: skip
        return cleaned


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Messages supervisors prepare for agents to send a contact from the Connect view."""

    form = NotificationTemplateForm
    list_display = ["name", "channel_shown", "team", "is_active"]
    list_filter = ["is_active", "channel", "team"]
    search_fields = ["name", "subject", "text"]
    list_select_related = ["team"]
    fieldsets = [
        (None, {"fields": ["name", "channel", "team", "is_active"]}),
        ("Message", {"fields": ["subject", "text"], "description": PLACEHOLDERS_HELP}),
    ]

    @admin.display(description="Channel", ordering="channel")
    def channel_shown(self, template: NotificationTemplate) -> str:
        return template.get_channel_display() if template.channel else "Contact's default"
