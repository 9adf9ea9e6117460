from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/bounces/", views.bounce_webhook, name="bounce_webhook"),
]
