from django.urls import path

from workspace.board import views

board_patterns = (
    [
        path("", views.board, name="home"),
        path("queue/", views.board_queue_partial, name="queue"),
        path("agents/", views.board_agents_partial, name="agents"),
        path("health/", views.board_health_partial, name="health"),
        path("spend/", views.board_spend_partial, name="spend"),
        path("interactions/<int:interaction_id>/reassign/", views.board_reassign, name="reassign"),
        path(
            "interactions/<int:interaction_id>/review/release/",
            views.board_review_decide,
            {"decision": "release"},
            name="review_release",
        ),
        path(
            "interactions/<int:interaction_id>/review/close/",
            views.board_review_decide,
            {"decision": "close"},
            name="review_close",
        ),
    ],
    "board",
)
