"""python manage.py seed_demo — demo agents, a supervisor, the sandbox X account and a few contacts. Idempotent."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from contacts.models import Contact, ContactIdentity, IdentityChannel
from interactions.models import CannedResponse, Label, NotificationTemplate
from social.models import XAccount
from social.sandbox.models import SandboxUser
from social.sandbox.services import sandbox_app_ensure, sandbox_user_ensure, sandbox_user_settings
from workspace.agents.models import AgentProfile, Skill, Team

DEMO_PASSWORD = "perch-demo"
SUPERVISOR = ("supervisor", "Sam", "Supervisor")
AGENTS = [("ana", "Ana", "Alvarez", ["lang:en", "lang:es"]), ("ben", "Ben", "Brooks", ["lang:en"]),
          ("chloe", "Chloé", "Chevalier", ["lang:en", "lang:fr"])]  # fmt: skip
DEMO_ACCOUNT_USER_ID = "1790000000000000001"
DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET = "sandbox-consumer-key", "sandbox-consumer-secret"
DEMO_BEARER_TOKEN = "AAAAAAAAAAAAAAAAAAAAAsandbox-demo-bearer-token"
CONTACTS = [("Maya Patel", "1790000000000000101", "mayapatel"), ("Tom Becker", "1790000000000000102", "tombecker"),
            ("Lucía Gómez", "1790000000000000103", "luciagomez")]  # fmt: skip
LABELS = [
    ("Resolved", "#16a34a"),
    ("Refund issued", "#2563eb"),
    ("Escalated", "#dc2626"),
    ("No reply needed", "#64748b"),
]

CANNED_RESPONSES = [
    ("Greeting", "Hi {contact_name}, this is {agent_name} from {brand_handle}. How can I help?"),
    ("Booking code", "Could you send us your booking code by DM, so we can look into it?"),
    ("Thanks", "Thank you for your patience, {contact_name}! Anything else we can do for you?"),
]

# Notifications agents send from the Connect view: (name, channel, subject, text, for the team only).
NOTIFICATIONS = [
    ("Refund processed", "", "Your refund is on its way, {contact_name}",
     "Hi {contact_name}, we have processed your refund: it reaches your account within 5 working days. "
     "— {agent_name}, {brand_handle}", True),
    ("We miss you", NotificationTemplate.Channel.EMAIL, "We miss you, {contact_name}",
     "Hi {contact_name}, it has been a while since you flew with us. Anything we can help with? Just answer this "
     "email. — {agent_name}", False),
]  # fmt: skip
EMAIL_CONTACT = ("1790000000000000103", "lucia@example.com")  # Lucía Gómez: Email is her default channel


def sandbox_url() -> str:
    host = os.environ.get("PERCH_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('PERCH_PORT', '8000')}/x-sandbox"


class Command(BaseCommand):
    help = "Creates (or refreshes) the demo supervisor, agents, sandbox X account and contacts, and prints the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        team, _ = Team.objects.get_or_create(name="Customer Care")

        first, last = SUPERVISOR[1:]
        supervisor, _ = User.objects.update_or_create(
            username=SUPERVISOR[0],
            defaults={"first_name": first, "last_name": last, "is_staff": True, "is_superuser": True},
        )
        supervisor.set_password(DEMO_PASSWORD)
        supervisor.save()

        for username, first, last, skills in AGENTS:
            user, _ = User.objects.update_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            profile, _ = AgentProfile.objects.get_or_create(user=user)
            profile.teams.add(team)
            profile.skills.add(*[Skill.objects.get_or_create(name=name)[0] for name in skills])

        # Self-serve pay-per-use, as most X apps are since 2026: the demo shows no Like, and keyword tweets that do
        # not mention @perchdemoair offer Reply by DM (the sandbox's brand has the same tier, so X agrees).
        account, _ = XAccount.objects.update_or_create(
            x_user_id=DEMO_ACCOUNT_USER_ID,
            defaults={
                "name": "Perch Demo Air",
                "handle": "perchdemoair",
                "api_base_url": sandbox_url(),
                "consumer_key": DEMO_CONSUMER_KEY,
                "consumer_secret": DEMO_CONSUMER_SECRET,
                "bearer_token": DEMO_BEARER_TOKEN,  # X wants the app's Bearer token to remove a subscription
                "access_token": SandboxUser(id=DEMO_ACCOUNT_USER_ID).access_token,  # what the sandbox issues
                "access_token_secret": "sandbox-access-token-secret",
                "team": team,
                # The sandbox is 10× as generous as X so the demo can poll every 10 s; the budget follows it.
                "poll_interval_seconds": 10,
                "budget_overrides": {"multiplier": 10},
                "needs_reconnect": False,
                "access": XAccount.Access.PAY_PER_USE,
            },
        )
        if not account.keywords:  # a supervisor's own terms survive a re-seed
            XAccount.objects.filter(pk=account.pk).update(keywords="lost bag, refund")

        for name, x_id, handle in CONTACTS:
            identity = ContactIdentity.objects.filter(channel=IdentityChannel.TWITTER, external_id=x_id).first()
            if identity is None:
                contact = Contact.objects.create(display_name=name)
                ContactIdentity.objects.create(
                    contact=contact,
                    channel=IdentityChannel.TWITTER,
                    external_id=x_id,
                    handle=handle,
                    display_name=name,
                )
        x_id, address = EMAIL_CONTACT
        lucia = ContactIdentity.objects.filter(channel=IdentityChannel.TWITTER, external_id=x_id).first().contact
        if not ContactIdentity.objects.filter(channel=IdentityChannel.EMAIL, external_id=address).exists():
            ContactIdentity.objects.create(contact=lucia, channel=IdentityChannel.EMAIL, external_id=address)
            Contact.objects.filter(pk=lucia.pk).update(default_outbound_channel=IdentityChannel.EMAIL)
        for name, channel, subject, text, team_only in NOTIFICATIONS:
            fields = {"channel": channel, "subject": subject, "text": text, "team": team if team_only else None}
            NotificationTemplate.objects.get_or_create(name=name, defaults=fields)
        if settings.X_SANDBOX_ENABLED:
            # The sandbox knows the demo brand and customers, so the simulator can act as them at once.
            brand = sandbox_user_ensure(user_id=DEMO_ACCOUNT_USER_ID, username="perchdemoair", name="Perch Demo Air")
            sandbox_user_settings(user=brand, tier=SandboxUser.Tier.PAY_PER_USE, accepts_dms=True)
            # The demo's developer app, so that switching the account to webhook mode registers it at the sandbox.
            sandbox_app_ensure(
                consumer_key=DEMO_CONSUMER_KEY, consumer_secret=DEMO_CONSUMER_SECRET, bearer_token=DEMO_BEARER_TOKEN
            )
            for name, x_id, handle in CONTACTS:
                sandbox_user_ensure(user_id=x_id, username=handle, name=name)
        for name, color in LABELS:
            Label.objects.get_or_create(name=name, defaults={"color": color})
        for title, text in CANNED_RESPONSES:
            CannedResponse.objects.get_or_create(title=title, team=team, defaults={"text": text})

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        self.stdout.write(f"  supervisor  {SUPERVISOR[0]:<10} → /admin/ and /workspace/")
        for username, *_ in AGENTS:
            self.stdout.write(f"  agent       {username:<10} → /workspace/")
        self.stdout.write("  X account   @perchdemoair, self-serve pay-per-use: no Like; keyword tweets → Reply by DM")
