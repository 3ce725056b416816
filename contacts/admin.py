from django.contrib import admin

from contacts.models import Contact, ContactIdentity


class ContactIdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 0
    fields = ["channel", "external_id", "handle", "display_name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["display_name", "is_vip", "assigned_agent", "default_outbound_channel", "created_at"]
    list_filter = ["is_vip", "default_outbound_channel", "assigned_agent"]
    search_fields = ["display_name", "identities__handle", "identities__external_id", "notes"]
    autocomplete_fields = ["assigned_agent"]
    inlines = [ContactIdentityInline]


@admin.register(ContactIdentity)
class ContactIdentityAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contact", "channel", "external_id", "created_at"]
    list_filter = ["channel"]
    search_fields = ["handle", "external_id", "display_name", "contact__display_name"]
    list_select_related = ["contact"]
    autocomplete_fields = ["contact"]
