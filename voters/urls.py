from django.urls import path

from voters import views, views_privacy

app_name = "voters"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.csv", views.export, name="export"),
    path("electors/<int:pk>/", views.elector_detail, name="elector"),
    path("electors/<int:pk>/do-not-contact/", views.elector_do_not_contact, name="elector_do_not_contact"),
    path("electors/<int:pk>/contacts/", views.elector_contact, name="elector_contact"),
    path(
        "electors/<int:pk>/subject-access/",
        views_privacy.elector_subject_access,
        name="elector_subject_access",
    ),
    path("electors/<int:pk>/erase/", views_privacy.elector_erase, name="elector_erase"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("name-changes/", views.name_changes, name="name_changes"),
    path("name-changes/<int:pk>/", views.name_change_decide, name="name_change_decide"),
    path("models/", views.model_versions, name="model_versions"),
    path("models/<int:pk>/", views.model_version_detail, name="model_version"),
]
