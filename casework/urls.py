from django.urls import path

from casework import views

app_name = "casework"
urlpatterns = [
    path("", views.my_cases, name="my_cases"),
    path("offices/<int:pk>/", views.office_cases, name="office_cases"),
    path("offices/<int:pk>/open/", views.case_open, name="case_open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/timeline/", views.case_note, name="case_note"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/consent/", views.case_consent, name="case_consent"),
    path("counts/", views.counts, name="counts"),
]
