from django.urls import path

app_name = "x_sandbox"
urlpatterns: list = []
