from django.urls import path

from workspace import board_views

board_patterns = (
    [
        path("", board_views.board, name="home"),
        path("queue/", board_views.board_queue_partial, name="queue"),
        path("agents/", board_views.board_agents_partial, name="agents"),
        path("health/", board_views.board_health_partial, name="health"),
        path("interactions/<int:interaction_id>/reassign/", board_views.board_reassign, name="reassign"),
    ],
    "board",
)
