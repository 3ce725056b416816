"""Writes on contacts."""

from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactIdentity, IdentityChannel
from interactions.models import Interaction


def contact_identify_x_user(
    *, x_user_id: str, username: str = "", name: str = "", avatar_url: str = ""
) -> ContactIdentity:
    """The contact behind an X user id: found by the id (handles change, ids don't), created when new.

    A changed handle, name or avatar updates the identity, so agents always see the current @handle.
    """
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(channel=IdentityChannel.TWITTER, external_id=x_user_id)
        .first()
    )
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(display_name=name or (f"@{username}" if username else x_user_id))
                return ContactIdentity.objects.create(
                    contact=contact,
                    channel=IdentityChannel.TWITTER,
                    external_id=x_user_id,
                    handle=username,
                    display_name=name,
                    avatar_url=avatar_url,
                )
        except IntegrityError:  # another worker identified the same user a moment ago
            identity = ContactIdentity.objects.select_related("contact").get(
                channel=IdentityChannel.TWITTER, external_id=x_user_id
            )
    fresh = {"handle": username, "display_name": name, "avatar_url": avatar_url}
    changed = [f for f, value in fresh.items() if value and getattr(identity, f) != value]
    if changed:
        for f in changed:
            setattr(identity, f, fresh[f])
        identity.save(update_fields=changed)
    return identity


@transaction.atomic
def contact_merge(*, target_id: int, source_id: int) -> Contact:
    """Folds `source` into `target`: identities, interactions, notes, VIP flag and owner; `source` is deleted.

    Used when one customer was known twice (an X handle and an email, say). Nothing is lost: every identity and
    every interaction ends up on the target.
    """
    if target_id == source_id:
        raise ValueError("A contact cannot be merged into itself.")
    contacts = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[target_id, source_id])}
    if len(contacts) != 2:
        raise ValueError("Both contacts must exist to be merged.")
    target, source = contacts[target_id], contacts[source_id]
    ContactIdentity.objects.filter(contact=source).update(contact=target)
    Interaction.objects.filter(contact=source).update(contact=target)
    if source.notes.strip():
        target.notes = "\n\n".join(part for part in (target.notes.strip(), source.notes.strip()) if part)
    target.is_vip = target.is_vip or source.is_vip
    target.assigned_agent_id = target.assigned_agent_id or source.assigned_agent_id
    target.save(update_fields=["notes", "is_vip", "assigned_agent", "updated_at"])
    source.delete()
    return target
