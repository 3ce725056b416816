import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from contacts.models import Contact, ContactIdentity, IdentityChannel
from interactions.models import Channel, Interaction, Message
from social.models import XAccount
from workspace.agents.models import AgentProfile

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(UserFactory):
    profile = factory.RelatedFactory("tests.factories.AgentProfileFactory", factory_related_name="user")


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory)


class XAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = XAccount

    name = "Acme Support"
    handle = factory.Sequence(lambda n: f"acmesupport{n}")
    x_user_id = factory.Sequence(lambda n: str(1_800_000_000_000_000_000 + n))
    # Never the real X: tests that talk to X point this at the sandbox on the live server.
    api_base_url = "http://127.0.0.1:9/x-unreachable"
    consumer_key = "consumer-key"
    consumer_secret = "consumer-secret"
    access_token = factory.LazyAttribute(lambda o: f"{o.x_user_id}-access-token")
    access_token_secret = "access-token-secret"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    display_name = factory.Faker("name")


class TwitterIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    channel = IdentityChannel.TWITTER
    external_id = factory.Sequence(lambda n: str(1_900_000_000_000_000_000 + n))
    handle = factory.Sequence(lambda n: f"customer{n}")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    kind = Channel.CHAT
    contact = factory.SubFactory(ContactFactory)
    x_account = factory.SubFactory(XAccountFactory)
    thread_key = factory.Sequence(lambda n: f"thread-{n}")
    queued_at = factory.LazyFunction(timezone.now)
    prioritised_at = factory.LazyFunction(timezone.now)  # as if routing had applied the rules when it arrived


class InboundDMFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    interaction = factory.SubFactory(InteractionFactory)
    x_account = factory.SelfAttribute("interaction.x_account")
    direction = Message.Direction.INBOUND
    kind = Message.Kind.DM
    text = "Hello, my order never arrived"
    external_id = factory.Sequence(lambda n: str(1_700_000_000_000_000_000 + n))
