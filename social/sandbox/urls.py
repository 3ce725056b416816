app_name = "x_sandbox"
urlpatterns: list = []
