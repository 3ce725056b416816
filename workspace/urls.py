from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from workspace import client_errors, communication, reports, tool_views, views
from workspace.board_urls import board_patterns
from workspace.forms import AdminLoginForm, LoginForm

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
        path("interactions/<int:interaction_id>/access/", views.interaction_access, name="interaction_access"),
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
        path("interactions/<int:interaction_id>/notes/", tool_views.interaction_note, name="interaction_note"),
        path("interactions/<int:interaction_id>/labels/", tool_views.interaction_labels, name="interaction_labels"),
        path("interactions/<int:interaction_id>/canned/", tool_views.canned_responses, name="canned_responses"),
        path("messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
        path("messages/<int:message_id>/media/<int:index>/", views.message_media, name="message_media"),
        path("communication/", communication.communication, name="communication"),
        path("communication/notices/", communication.notices, name="notices"),
        path("communication/replied/", communication.replied, name="replied"),
        path(
            "communication/contacts/<int:contact_id>/",
            communication.communication_contact,
            name="communication_contact",
        ),
        path("communication/contacts/<int:contact_id>/message/", communication.contact_message, name="contact_message"),
        path("communication/contacts/<int:contact_id>/chat/", communication.contact_chat, name="contact_chat"),
        path("contacts/<int:contact_id>/transcript/", communication.contact_transcript, name="contact_transcript"),
        path("client-errors/", client_errors.client_error, name="client_errors"),
    ],
    "workspace",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="workspace:home", permanent=False)),
    path("workspace/", include(workspace_patterns)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", include("workspace.api.urls")),
    path("", include("social.urls")),
    path("admin/reports/", reports.report_page, name="reports"),
    path("admin/reports/export.csv", reports.report_csv, name="reports_csv"),
    path("admin/board/", include(board_patterns)),  # the supervisors' live board, inside the admin
    path("admin/", admin.site.urls),
]
if settings.X_SANDBOX_ENABLED:
    urlpatterns.append(path("x-sandbox/", include("social.sandbox.urls")))

admin.site.site_header = "Perch supervisor"
admin.site.site_title = "Perch"
admin.site.index_title = "Run customer care on X"
admin.site.login_form = AdminLoginForm
