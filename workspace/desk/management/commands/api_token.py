from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workspace.api.tokens import api_token_create


class Command(BaseCommand):
    help = "Creates an API token for a user and prints it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, shown in the admin.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is inactive: an inactive user's token would be refused.")
        row, token = api_token_create(user=user, name=name or "created with manage.py api_token")
        self.stderr.write(f"API token {row.prefix}… for {username} ({'staff' if user.is_staff else 'agent'}).")
        self.stderr.write("Copy it now: it is not stored and cannot be shown again. Use: Authorization: Bearer <token>")
        self.stdout.write(token)
