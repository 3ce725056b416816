"""Celery tasks for presence: thin wrappers around workspace.services."""

from celery import shared_task

from workspace import services


@shared_task(name="workspace.presence_ghost_check", ignore_result=True)
def presence_ghost_check(agent_id: int) -> bool:
    return services.presence_sign_out_if_gone(agent_id=agent_id)


@shared_task(name="workspace.sign_out_ghosts", ignore_result=True)
def sign_out_ghosts() -> int:
    """Run by beat: a web process that dies never runs its tabs' goodbye."""
    return services.presence_sign_out_ghosts()
