from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.html import format_html

from contacts import identities, services
from contacts.models import Contact, ContactIdentity
from workspace.agents.admin_audit import AuditedAdminMixin
from workspace.desk.forms import Pick


class ContactMergeForm(forms.Form):
    """Which of the two selected contacts to keep (the merge confirmation page's radio buttons)."""

    keep = Pick(queryset=Contact.objects.none(), refused="Pick which of the two contacts to keep.")

    def __init__(self, data, *, contacts):
        super().__init__(data)
        self.fields["keep"].queryset = contacts


class ContactIdentityForm(forms.ModelForm):
    """An identity as the Contact tab takes it: checked and normalised by contacts.identities (an email address,
    an E.164 phone number, an X user id and handle), refused in the same words."""

    class Meta:
        model = ContactIdentity
        fields = ["contact", "channel", "external_id", "handle", "display_name"]  # the inline leaves out contact

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if channel and "external_id" in data:
            try:
                address = identities.normalise(channel=channel, value=data["external_id"], handle=data.get("handle"))
            except identities.IdentityError as exc:
                raise forms.ValidationError({"external_id": str(exc)}) from None
            data["external_id"] = address.external_id
            if channel == "twitter":
                data["handle"] = address.handle
        return data


class ContactIdentityInline(admin.TabularInline):
    model = ContactIdentity
    form = ContactIdentityForm
    extra = 0
    fields = ["channel", "external_id", "handle", "display_name"]


@admin.register(Contact)
class ContactAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "handles", "is_vip", "assigned_agent", "default_outbound_channel", "created_at"]
    list_select_related = ["assigned_agent"]
    list_filter = ["is_vip", "default_outbound_channel", "assigned_agent"]
    search_fields = ["display_name", "identities__handle", "identities__external_id", "notes"]
    autocomplete_fields = ["assigned_agent"]
    inlines = [ContactIdentityInline]
    actions = ["merge_contacts"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identities")

    @admin.display(description="Identities")
    def handles(self, contact: Contact) -> str:
        return ", ".join(str(identity) for identity in contact.identities.all()) or "—"

    @admin.action(description="Merge the two selected contacts…")
    def merge_contacts(self, request, queryset):
        if queryset.count() != 2:
            self.message_user(request, "Select exactly two contacts to merge.", messages.WARNING)
            return None
        if request.POST.get("confirm"):
            form = ContactMergeForm(request.POST, contacts=queryset)
            if not form.is_valid():
                self.message_user(request, form.errors["keep"][0], messages.ERROR)
                return None
            keep = form.cleaned_data["keep"]
            source = queryset.exclude(pk=keep.pk).get()
            target = services.contact_merge(target_id=keep.pk, source_id=source.pk, by=request.user)
            merged = format_html(
                "<bdi>{}</bdi> was merged into <bdi>{}</bdi>.", source.display_name, target.display_name
            )
            self.message_user(request, merged, messages.SUCCESS)
            return None
        contacts = queryset.annotate(interaction_count=Count("interactions")).prefetch_related("identities")
        context = {**self.admin_site.each_context(request), "contacts": contacts, "title": "Merge two contacts"}
        return TemplateResponse(request, "admin/contacts/contact/merge_confirmation.html", context)


@admin.register(ContactIdentity)
class ContactIdentityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ContactIdentityForm
    list_display = ["__str__", "contact", "channel", "external_id", "created_at"]
    list_filter = ["channel"]
    search_fields = ["handle", "external_id", "display_name", "contact__display_name"]
    list_select_related = ["contact"]
    autocomplete_fields = ["contact"]
