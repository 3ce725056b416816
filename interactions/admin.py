from django.contrib import admin
from django.utils.timesince import timesince

from interactions.models import CannedResponse, Interaction, InteractionNote, Label, Message, Offer, RoutingRule


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["created_at", "direction", "kind", "text", "delivery", "external_id"]
    readonly_fields = fields
    show_change_link = True


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    fields = ["agent", "state", "created_at", "expires_at", "responded_at"]
    readonly_fields = fields


class NoteInline(admin.TabularInline):
    model = InteractionNote
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "contact", "x_account", "agent", "state", "priority", "waiting", "opened_at"]
    list_filter = ["state", "kind", "x_account", "agent", "disposition", "labels"]
    search_fields = ["contact__display_name", "contact__identities__handle", "thread_key", "messages__text"]
    list_select_related = ["contact", "x_account", "agent"]
    date_hierarchy = "opened_at"
    # The lifecycle moves only through services; supervisor actions for it arrive with the live board.
    readonly_fields = ["state", "opened_at", "queued_at", "accepted_at", "ended_at", "ended_by", "done_at"]
    autocomplete_fields = ["contact"]
    filter_horizontal = ["labels"]
    inlines = [MessageInline, NoteInline, OfferInline]

    @admin.display(description="Waiting", ordering="queued_at")
    def waiting(self, interaction: Interaction) -> str:
        """How long a queued interaction has waited for an agent (empty once someone has it)."""
        if interaction.state != "queued":
            return ""
        return timesince(interaction.queued_at or interaction.opened_at)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "interaction", "direction", "kind", "delivery", "external_id", "created_at"]
    list_filter = ["direction", "kind", "delivery"]
    search_fields = ["text", "external_id", "idempotency_key"]
    list_select_related = ["interaction"]
    raw_id_fields = ["interaction"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["interaction", "agent", "state", "created_at", "expires_at", "responded_at"]
    list_filter = ["state", "agent"]
    list_select_related = ["interaction", "agent"]
    raw_id_fields = ["interaction"]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "color", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "audience", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["title", "text", "owner__username"]
    list_select_related = ["team", "owner"]
    raw_id_fields = ["owner"]

    @admin.display(description="For")
    def audience(self, response: CannedResponse) -> str:
        return f"Team {response.team}" if response.team_id else f"Only {response.owner}"


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "keywords",
        "vip_contacts",
        "sentiment_below",
        "language",
        "priority_boost",
        "team",
    ]
    list_filter = ["is_active", "vip_contacts", "team"]
    search_fields = ["name", "keywords"]
    filter_horizontal = ["required_skills"]
