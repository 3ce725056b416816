from django.urls import path, re_path

from workspace.api import views

app_name = "api"
urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("v1/interactions/", views.interaction_list, name="interaction_list"),
    path("v1/interactions/<int:interaction_id>/", views.interaction_detail, name="interaction_detail"),
    path("v1/interactions/<int:interaction_id>/messages/", views.interaction_messages, name="interaction_messages"),
    path("v1/contacts/", views.contact_list, name="contact_list"),
    path("v1/contacts/<int:contact_id>/", views.contact_detail, name="contact_detail"),
    re_path(r"", views.no_such_endpoint, name="no_such_endpoint"),  # last: whatever else is under /api/
]
