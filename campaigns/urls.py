from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("sync/", views.sync, name="sync"),
    path("ping.json", views.ping, name="ping"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/survey/", views.survey_edit, name="survey_edit"),
    path("<int:pk>/walk-lists/new/", views.walklist_create, name="walklist_create"),
    path("<int:pk>/call-lists/new/", views.calllist_create, name="calllist_create"),
    path("<int:pk>/follow-ups/", views.follow_ups, name="follow_ups"),
    path("<int:pk>/visits/", views.visits, name="visits"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/report.csv", views.report_csv, name="report_csv"),
    path("<int:pk>/issues/", views.issues, name="issues"),
    path("<int:pk>/issues.csv", views.issues_csv, name="issues_csv"),
    path("<int:pk>/paper/", views.paper_entry, name="paper_entry"),
    path("walk-lists/<int:pk>/", views.walklist, name="walklist"),
    path("p/<str:token>/", views.pack_shared, name="pack_shared"),
    path("packs/<int:pk>/canvass/", views.pack_canvass, name="pack_canvass"),
    path("packs/<int:pk>/data.json", views.pack_data, name="pack_data"),
    path("packs/<int:pk>/today.json", views.pack_today, name="pack_today"),
    path("packs/<int:pk>/assign/", views.pack_assign, name="pack_assign"),
    path("packs/<int:pk>/print/", views.pack_print, name="pack_print"),
    path("packs/<int:pk>/map/", views.pack_map, name="pack_map"),
    path("visits/<int:pk>/void/", views.visit_void, name="visit_void"),
    path("call-lists/<int:pk>/", views.calllist, name="calllist"),
    path("call-lists/<int:pk>/next/", views.call_next, name="call_next"),
    path("calls/<int:pk>/", views.call, name="call"),
    path("relations/", views.relations, name="relations"),
    path("relations/<int:pk>/remove/", views.relation_remove, name="relation_remove"),
    path("relations/<int:pk>/contact/", views.relation_contact, name="relation_contact"),
]
