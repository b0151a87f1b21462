app_name = "emails"
urlpatterns: list = []
