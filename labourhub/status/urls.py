from django.urls import path

from labourhub.status import feeds, views

app_name = "status"
urlpatterns = [
    path("status", views.page, name="page"),
    path("status/summary.json", views.summary_json, name="summary_json"),
    path("status/history.atom", feeds.HistoryFeed(), name="history_atom"),
    path("status/subscribe/", views.subscribe, name="subscribe"),
]
