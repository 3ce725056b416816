from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = "X (Twitter)"

    def ready(self) -> None:
        # Models are loaded only now: the channel service (which imports them) is registered here, not at import.
        from interactions import channels
        from interactions.models import Channel
        from social.channel import XChannel

        x = XChannel()
        for channel in (Channel.CHAT, Channel.TWITTER):  # a Chat is X DMs, a Twitter interaction X's tweets
            channels.register(channel, x)
