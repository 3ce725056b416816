from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "interactions.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self) -> None:
        # As the X app does: the channel service (which loads the models) is registered once they are loaded.
        from interactions import channels
        from interactions.mail import tasks  # noqa: F401  (the send task by name, in every process)
        from interactions.mail.channel import EmailChannel
        from interactions.models import InteractionKind

        channels.register(InteractionKind.EMAIL, EmailChannel())
