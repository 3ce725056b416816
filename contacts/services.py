"""Writes on contacts."""

from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactIdentity, IdentityChannel


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
