from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from workspace.api import admin as api_token_admin  # noqa: F401  (registers API tokens)
from workspace.models import AgentProfile, ChannelPresence, Skill, Team

User = get_user_model()


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    filter_horizontal = ["teams", "skills"]
    verbose_name_plural = "Agent profile (teams, skills, capacity per channel)"


class ChannelPresenceInline(admin.TabularInline):
    model = ChannelPresence
    extra = 0
    fields = ["channel", "ready", "reason", "since"]
    readonly_fields = fields
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(UserAdmin):
    inlines = [AgentProfileInline, ChannelPresenceInline]
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "offer_timeout_seconds"]
    search_fields = ["name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(ChannelPresence)
class ChannelPresenceAdmin(admin.ModelAdmin):
    list_display = ["agent", "channel", "ready", "reason", "since"]
    list_filter = ["channel", "ready", "reason"]
    list_select_related = ["agent"]
