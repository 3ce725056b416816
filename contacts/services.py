"""Writes on contacts."""

from django.db import IntegrityError, transaction

from contacts import identities
from contacts.errors import ContactError, IdentityTaken
from contacts.models import Contact, ContactIdentity, IdentityChannel
from workspace.agents.audit import Verb, audit_record


def check_x_user_id(x_user_id: str) -> None:
    """Raises ValueError for an empty X user id: it names nobody, and every event filed under it would be one
    made-up customer (the database refuses such an identity too)."""
    if not x_user_id:
        raise ValueError("An X identity needs the X user id: without it Perch cannot tell who the customer is.")


def contact_identify_x_user(
    *, x_user_id: str, username: str = "", name: str = "", avatar_url: str = ""
) -> ContactIdentity:
    """The contact behind an X user id: found by the id (handles change, ids don't), created when new.

    A changed handle, name or avatar updates the identity, so agents always see the current @handle. An empty id
    raises ValueError (check_x_user_id).
    """
    check_x_user_id(x_user_id)
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
def contact_update(*, contact_id: int, actor, fields: dict) -> Contact:
    """The Contact tab's save: name, notes and the default outbound channel, together. A new default is checked as
    contact_set_default_channel checks it; refused (ContactError), nothing is saved."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise ContactError("That contact no longer exists.")
    changed = [name for name, value in fields.items() if getattr(contact, name) != value]
    if "default_outbound_channel" in changed:
        _check_default_channel(contact=contact, channel=fields["default_outbound_channel"])
    if not changed:
        return contact
    for name in changed:
        setattr(contact, name, fields[name])
    contact.save(update_fields=[*changed, "updated_at"])
    # Field names only, as the admin's audit entries say them (never the customer's details).
    audit_record(actor=actor, verb=Verb.SETTINGS_CHANGE, obj=contact,
                 details={"changes": f"Changed {', '.join(changed)} in the Contact tab."})  # fmt: skip
    return contact


def _check_default_channel(*, contact: Contact, channel: str) -> None:
    """Raises ContactError unless `channel` can send and the contact has an identity on it (read afresh: one may
    have been added or removed a moment ago)."""
    label = identities.channel_label(channel)
    if channel in identities.NOT_CONNECTED or channel == IdentityChannel.CHAT:
        raise ContactError(f"{label} is not connected: pick X or Email as the default channel.")
    if not identities.can_send(channel):
        raise ContactError("Pick X or Email as the default channel.")
    if not ContactIdentity.objects.filter(contact=contact, channel=channel).exists():
        raise ContactError(f"{contact.display_name} has no {identities.ADDRESS[channel]}: add one first.")


@transaction.atomic
def contact_set_default_channel(*, contact_id: int, actor, channel: str) -> Contact:
    """Where Write a message and notifications go: only a channel that can send (X, Email) and on which the contact
    has an identity. Otherwise ContactError in words ("Maya has no email address: add one first")."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise ContactError("That contact no longer exists.")
    if channel == contact.default_outbound_channel:
        return contact
    _check_default_channel(contact=contact, channel=channel)
    contact.default_outbound_channel = channel
    contact.save(update_fields=["default_outbound_channel", "updated_at"])
    audit_record(actor=actor, verb=Verb.SETTINGS_CHANGE, obj=contact,
                 details={"changes": "Changed default_outbound_channel.", "channel": channel})  # fmt: skip
    return contact


@transaction.atomic
def contact_identity_add(*, contact_id: int, actor, channel: str, value: str, handle: str = "") -> ContactIdentity:
    """Adds one way to reach the contact (an email address, a phone number for SMS or WhatsApp, an X account, a chat
    visitor id), checked and normalised by contacts.identities. An address another contact has raises IdentityTaken
    (the screen decides whether it may name that contact); any other refusal ContactError, in words."""
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise ContactError("That contact no longer exists.")
    address = identities.normalise(channel=channel, value=value, handle=handle)
    what = identities.ADDRESS[address.channel]
    owner = (
        ContactIdentity.objects.filter(channel=address.channel, external_id=address.external_id)
        .values_list("contact_id", flat=True)
        .first()
    )
    if owner == contact.pk:
        raise ContactError(f"{contact.display_name} already has this {what}.")
    if owner is not None:
        raise IdentityTaken(what=what, owner_id=owner)
    try:
        with transaction.atomic():
            identity = ContactIdentity.objects.create(
                contact=contact, channel=address.channel, external_id=address.external_id, handle=address.handle
            )
    except IntegrityError:  # added to someone a moment ago
        owner = ContactIdentity.objects.filter(channel=address.channel, external_id=address.external_id).first()
        raise IdentityTaken(what=what, owner_id=owner.contact_id if owner else 0) from None
    details = {"changes": f"Added an identity ({address.channel}).", "identity_id": identity.pk}
    audit_record(actor=actor, verb=Verb.SETTINGS_CHANGE, obj=contact, details=details)
    return identity


@transaction.atomic
def contact_identity_remove(*, identity_id: int, actor) -> Contact:
    """Removes one way to reach a contact. Refused in words when messages in Perch came from it (their author would
    be lost) or when it is the last identity of the contact's default outbound channel (pick another first)."""
    identity = ContactIdentity.objects.select_for_update().select_related("contact").filter(pk=identity_id).first()
    if identity is None:
        raise ContactError("That channel was removed already.")
    contact, what = identity.contact, identities.ADDRESS.get(identity.channel, "identity")
    if identity.messages.exists():
        raise ContactError(f"This {what} wrote messages in Perch: it stays, so its conversations keep their author.")
    others = ContactIdentity.objects.filter(contact=contact, channel=identity.channel).exclude(pk=identity.pk)
    if identity.channel == contact.default_outbound_channel and not others.exists():
        label = identities.channel_label(identity.channel)
        raise ContactError(f"{label} is {contact.display_name}’s default outbound channel: pick another default first.")
    details = {"changes": f"Removed an identity ({identity.channel}).", "identity_id": identity.pk}
    audit_record(actor=actor, verb=Verb.SETTINGS_CHANGE, obj=contact, details=details)
    identity.delete()
    return contact


@transaction.atomic
def contact_merge(*, target_id: int, source_id: int, by=None) -> Contact:
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
    # Everything that points at the source moves: identities, interactions, agents' notices (which would otherwise
    # be deleted with it), and whatever points at a contact tomorrow.
    for relation in Contact._meta.get_fields(include_hidden=True):
        if relation.one_to_many:
            name = relation.field.name
            relation.related_model._base_manager.filter(**{name: source}).update(**{name: target})
    if source.notes.strip():
        target.notes = "\n\n".join(part for part in (target.notes.strip(), source.notes.strip()) if part)
    target.is_vip = target.is_vip or source.is_vip
    target.assigned_agent_id = target.assigned_agent_id or source.assigned_agent_id
    target.save(update_fields=["notes", "is_vip", "assigned_agent", "updated_at"])
    audit_record(
        actor=by,
        verb=Verb.MERGE,
        obj=target,
        details={"merged_contact_id": source.pk, "merged_name": source.display_name},
    )
    source.delete()
    return target


def contacts_identify_x_users(*, people: list[dict]) -> dict[str, ContactIdentity]:
    """Bulk contact_identify_x_user for one page of X events: a handful of queries however many people.

    `people` holds dicts with x_user_id, username, name, avatar_url. Raises IntegrityError when another worker
    created one of them meanwhile; the caller then falls back to the one-by-one path. An empty id raises ValueError.
    """
    for person in people:
        check_x_user_id(person["x_user_id"])
    by_id = {p["x_user_id"]: p for p in people}
    found = {
        i.external_id: i
        for i in ContactIdentity.objects.select_related("contact").filter(
            channel=IdentityChannel.TWITTER, external_id__in=list(by_id)
        )
    }
    missing = [p for x_id, p in by_id.items() if x_id not in found]
    if missing:
        contacts = Contact.objects.bulk_create(
            [
                Contact(display_name=p["name"] or (f"@{p['username']}" if p["username"] else p["x_user_id"]))
                for p in missing
            ]
        )
        identities = ContactIdentity.objects.bulk_create(
            [
                ContactIdentity(
                    contact=contact,
                    channel=IdentityChannel.TWITTER,
                    external_id=p["x_user_id"],
                    handle=p["username"],
                    display_name=p["name"],
                    avatar_url=p["avatar_url"],
                )  # fmt: skip
                for contact, p in zip(contacts, missing, strict=True)
            ]
        )
        found.update({i.external_id: i for i in identities})
    changed = []
    for x_id, identity in found.items():
        fresh = {"handle": by_id[x_id]["username"], "display_name": by_id[x_id]["name"],
                 "avatar_url": by_id[x_id]["avatar_url"]}  # fmt: skip
        updates = {f: v for f, v in fresh.items() if v and getattr(identity, f) != v}
        if updates:
            for f, v in updates.items():
                setattr(identity, f, v)
            changed.append(identity)
    if changed:
        ContactIdentity.objects.bulk_update(changed, ["handle", "display_name", "avatar_url"])
    return found
