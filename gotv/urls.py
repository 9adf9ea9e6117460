from django.urls import path

from gotv import views

app_name = "gotv"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.election, name="election"),
    path("<int:pk>/stations/import/", views.stations_import, name="stations_import"),
]
