from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from workspace import views
from workspace.board_urls import board_patterns

workspace_patterns = (
    [
        path("", views.home, name="home"),
        path("presence/", views.presence, name="presence"),
        path("offers/", views.offers, name="offers"),
        path("offers/<int:offer_id>/accept/", views.offer_accept, name="offer_accept"),
        path("offers/<int:offer_id>/reject/", views.offer_reject, name="offer_reject"),
        path("interactions/", views.interaction_list, name="interaction_list"),
        path("contacts/<int:contact_id>/", views.contact_tab, name="contact_tab"),
        path("interactions/<int:interaction_id>/", views.interaction, name="interaction"),
        path("interactions/<int:interaction_id>/sentiment/", views.interaction_sentiment, name="interaction_sentiment"),
        path(
            "interactions/<int:interaction_id>/conversation/",
            views.interaction_conversation,
            name="interaction_conversation",
        ),
        path("interactions/<int:interaction_id>/send/", views.interaction_send, name="interaction_send"),
        path("interactions/<int:interaction_id>/like/", views.interaction_like, name="interaction_like"),
        path("interactions/<int:interaction_id>/end/", views.interaction_end, name="interaction_end"),
        path("interactions/<int:interaction_id>/done/", views.interaction_done, name="interaction_done"),
        path("messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
        path("messages/<int:message_id>/media/<int:index>/", views.message_media, name="message_media"),
    ],
    "workspace",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="workspace:home", permanent=False)),
    path("workspace/", include(workspace_patterns)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("social.urls")),
    path("admin/board/", include(board_patterns)),  # the supervisors' live board, inside the admin
    path("admin/", admin.site.urls),
]
if settings.X_SANDBOX_ENABLED:
    urlpatterns.append(path("x-sandbox/", include("social.sandbox.urls")))

admin.site.site_header = "Perch supervisor"
admin.site.site_title = "Perch"
admin.site.index_title = "Run customer care on X"
