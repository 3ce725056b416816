from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """The agents, their teams, presence rows, notices, API tokens and the audit log. The label stays "workspace"
    (the app was once the whole project package), so the tables and the migration history keep their names."""

    name = "workspace.agents"
    label = "workspace"
    verbose_name = "Agents and teams"
