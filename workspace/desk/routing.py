from django.urls import path, re_path

from workspace.desk import consumers

websocket_urlpatterns = [
    path("ws/workspace/", consumers.WorkspaceConsumer.as_asgi()),
    path("ws/board/", consumers.BoardConsumer.as_asgi()),
]
# Last, for any other path: refused with a close code, where URLRouter alone raised "No route found" (a traceback).
websocket_routes = [*websocket_urlpatterns, re_path(r"", consumers.UnknownPathConsumer.as_asgi())]
