from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agent's workspace screens: an app only so that its template tags and management commands load."""

    name = "workspace.desk"
    label = "desk"
    verbose_name = "Agent workspace"
