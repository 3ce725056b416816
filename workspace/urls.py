from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from workspace.board import reports
from workspace.board.urls import board_patterns
from workspace.desk import views
from workspace.desk.forms import AdminLoginForm, LoginForm
from workspace.desk.urls import workspace_patterns

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
