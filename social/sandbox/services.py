from django.db import IntegrityError, transaction

from social.sandbox.models import SandboxUser


def sandbox_user_ensure(*, user_id: str, username: str, name: str) -> SandboxUser:
    """The sandbox's X user with this id, created (or renamed) to match; the demo's brand and customers."""
    user = SandboxUser.objects.filter(pk=user_id).first()
    if user is None:
        try:
            with transaction.atomic():
                return SandboxUser.objects.create(id=user_id, username=username, name=name)
        except IntegrityError:  # the username belongs to another id: X usernames are unique too
            user = SandboxUser.objects.filter(username__iexact=username).first()
            if user is None:
                raise
            return user
    if (user.username, user.name) != (username, name):
        user.username, user.name = username, name
        user.save(update_fields=["username", "name"])
    return user
