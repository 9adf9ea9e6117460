from django.urls import path

from labourhub.dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/overdue/", views.request_overdue, name="overdue"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/person/", views.request_person, name="request_person"),
    path("requests/<int:pk>/subject-access/", views.request_subject_access, name="request_subject_access"),
    path("requests/<int:pk>/erase/", views.request_erase, name="request_erase"),
    path("report/", views.report, name="report"),
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach"),
    path("records/", views.records_of_processing, name="records"),
]
