from django.urls import path

from members import views, views_privacy

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/subject-access/", views_privacy.member_subject_access, name="subject_access"),
    path("<int:pk>/erase/", views_privacy.member_erase, name="erase"),
    path("export.csv", views.member_export, name="export"),
    path("letters/", views.member_letters, name="letters"),
    path("chart/", views.membership_chart, name="chart"),
    path("volunteers/", views.volunteer_search, name="volunteers"),
    path("email/", views.email_list, name="emails"),
    path("email/new/", views.email_compose, name="email_new"),
    path("email/<int:pk>/edit/", views.email_compose, name="email_edit"),
    path("email/<int:pk>/", views.email_detail, name="email_detail"),
    path("email/<int:pk>/progress/", views.email_progress, name="email_progress"),
    path("email/<int:pk>/test/", views.email_test, name="email_test"),
    path("email/<int:pk>/start/", views.email_start, name="email_start"),
    path("email/<int:pk>/stop/", views.email_stop, name="email_stop"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/bounces/", views.bounce_webhook, name="bounce_webhook"),
    path("imports/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/map/", views.import_map, name="import_map"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("matches/", views.elector_matches, name="matches"),
    path("matches/<int:pk>/", views.elector_match_decide, name="match_decide"),
    path("me/", views.my_record, name="me"),
    path("me/download/", views.my_record_download, name="me_download"),
]
