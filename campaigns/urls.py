from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("sync/", views.sync, name="sync"),
    path("ping.json", views.ping, name="ping"),
    path("p/<str:token>/", views.pack_shared, name="pack_shared"),
    path("packs/<int:pk>/canvass/", views.pack_canvass, name="pack_canvass"),
    path("packs/<int:pk>/data.json", views.pack_data, name="pack_data"),
    path("packs/<int:pk>/today.json", views.pack_today, name="pack_today"),
]
