from django.urls import path

from workspace import consumers

websocket_urlpatterns = [
    path("ws/workspace/", consumers.WorkspaceConsumer.as_asgi()),
    path("ws/board/", consumers.BoardConsumer.as_asgi()),
]
