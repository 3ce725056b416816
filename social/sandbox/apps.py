from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "social.sandbox"
    label = "x_sandbox"
    verbose_name = "X sandbox"
