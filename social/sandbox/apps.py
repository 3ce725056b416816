from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "social.sandbox"
    label = "x_sandbox"
    verbose_name = "X sandbox"

    def ready(self):
        from social.sandbox import checks  # noqa: F401 (registers the deploy check)
