from django.urls import path

from social import webhooks

urlpatterns = [
    path("webhooks/x/<int:account_id>/<slug:token>/", webhooks.account_activity, name="x_webhook"),
]
