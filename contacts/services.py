"""Writes on contacts."""

from django.db import IntegrityError, transaction

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
def contact_update(*, contact: Contact, fields: dict, x_actor: dict | None = None) -> Contact:
    """The Contact tab's save: the contact's own fields and, when given, its X actor, together."""
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save(update_fields=[*fields, "updated_at"])
    if x_actor:
        contact_set_x_identity(contact=contact, **x_actor)
    return contact


def contact_set_x_identity(*, contact: Contact, x_user_id: str, handle: str = "", name: str = "") -> ContactIdentity:
    """Sets the contact's X actor: adds it (a customer known by email writes on X too) or corrects it. The user id
    is unique per channel: the caller checks it belongs to nobody else. An empty id raises ValueError."""
    check_x_user_id(x_user_id)
    identity = contact.identities.filter(channel=IdentityChannel.TWITTER).first()
    if identity is None:
        return ContactIdentity.objects.create(
            contact=contact, channel=IdentityChannel.TWITTER, external_id=x_user_id, handle=handle, display_name=name
        )
    identity.external_id, identity.handle, identity.display_name = x_user_id, handle, name
    identity.save(update_fields=["external_id", "handle", "display_name"])
    return identity


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
