from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"

    def ready(self) -> None:
        # Registers this app's Celery tasks in every process, not only in workers (which discover them): routing and
        # the lifecycle services send them by name (interactions.scheduling), and in an eager run (the tests) the
        # name must find the task. Imported here, not at the top: the models must be loaded first.
        from interactions import tasks  # noqa: F401
