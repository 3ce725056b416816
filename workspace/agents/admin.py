from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Prefetch

from workspace.agents.admin_audit import AuditedAdminMixin
from workspace.agents.admin_view_only import ViewOnlyAdminMixin
from workspace.agents.models import AgentProfile, AuditEntry, ChannelPresence, Skill, Team
from workspace.api import admin as api_token_admin  # noqa: F401  (registers API tokens)

User = get_user_model()


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    filter_horizontal = ["teams", "skills"]
    fields = ["teams", "skills", ("chat_capacity", "twitter_capacity"), "last_routed_at"]
    readonly_fields = ["last_routed_at"]
    verbose_name = verbose_name_plural = "Agent profile (teams, skills, capacity per channel)"


class ChannelPresenceInline(admin.TabularInline):
    model = ChannelPresence
    extra = 0
    fields = ["channel", "ready", "reason", "since"]
    readonly_fields = fields
    can_delete = False


class IsAgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request, model_admin):
        return [("yes", "Agents"), ("no", "Not agents")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(agent_profile__isnull=self.value() == "no")
        return queryset


admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(AuditedAdminMixin, UserAdmin):
    """Agents are users with an agent profile: teams, skills, capacity per channel; staff are supervisors."""

    inlines = [AgentProfileInline, ChannelPresenceInline]
    list_display = ["username", "full_name", "teams", "capacities", "ready_on", "is_staff", "is_active"]
    list_filter = [IsAgentFilter, "agent_profile__teams", "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email", "agent_profile__teams__name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("agent_profile")
            .prefetch_related("agent_profile__teams", Prefetch("presences", to_attr="all_presences"))
        )

    def _profile(self, user):
        return getattr(user, "agent_profile", None)

    @admin.display(description="Name", ordering="first_name")
    def full_name(self, user) -> str:
        return user.get_full_name()

    @admin.display(description="Teams")
    def teams(self, user) -> str:
        profile = self._profile(user)
        return ", ".join(team.name for team in profile.teams.all()) if profile else "—"

    @admin.display(description="Capacity (chat / Twitter)")
    def capacities(self, user) -> str:
        profile = self._profile(user)
        return f"{profile.chat_capacity} / {profile.twitter_capacity}" if profile else "—"

    @admin.display(description="Ready on")
    def ready_on(self, user) -> str:
        return ", ".join(p.get_channel_display() for p in user.all_presences if p.ready) or "—"


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "offer_timeout_seconds", "reoffer_cooldown_seconds", "agent_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(agent_total=Count("agents"))

    @admin.display(description="Agents", ordering="agent_total")
    def agent_count(self, team) -> int:
        return team.agent_total


@admin.register(Skill)
class SkillAdmin(AuditedAdminMixin, admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(ChannelPresence)
class ChannelPresenceAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["agent", "channel", "ready", "reason", "since"]
    list_filter = ["channel", "ready", "reason"]
    list_select_related = ["agent"]
    search_fields = ["agent__username", "agent__first_name", "agent__last_name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: read-only, filterable by what was done, to what, and by whom."""

    list_display = ["at", "actor_label", "verb", "object_type", "object_label", "details"]
    list_filter = ["verb", "object_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_label", "actor_label", "object_id"]
    date_hierarchy = "at"
    list_per_page = 100
