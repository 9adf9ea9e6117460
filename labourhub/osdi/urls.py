"""/api/osdi/v1/ (included from labourhub/urls.py under the `osdi` namespace)."""

from django.urls import path

from labourhub.osdi import views

app_name = "osdi"

urlpatterns = [
    path("", views.EntryPoint.as_view({"get": "list"}), name="aep"),
    path("people/", views.People.as_view({"get": "list"}), name="people"),
    path("people/<int:pk>/", views.People.as_view({"get": "retrieve"}), name="person"),
    path("people/<int:pk>/canvasses/", views.Canvasses.as_view({"get": "list"}), name="person-canvasses"),
    path("people/<int:pk>/taggings/", views.Tags.as_view({"get": "taggings"}), name="person-taggings"),
    path(
        "people/<int:pk>/record_canvass_helper/",
        views.RecordCanvass.as_view({"post": "create"}),
        name="record-canvass",
    ),
    path("canvasses/", views.Canvasses.as_view({"get": "list"}), name="canvasses"),
    path("canvasses/<int:pk>/", views.Canvasses.as_view({"get": "retrieve"}), name="canvass"),
    path("canvasses/<int:pk>/answers/", views.Canvasses.as_view({"get": "answers"}), name="canvass-answers"),
    path("questions/", views.Questions.as_view({"get": "list"}), name="questions"),
    path("questions/<int:pk>/", views.Questions.as_view({"get": "retrieve"}), name="question"),
    path("tags/", views.Tags.as_view({"get": "list"}), name="tags"),
    path("tags/<str:code>/", views.Tags.as_view({"get": "retrieve"}), name="tag"),
    path("events/", views.Events.as_view({"get": "list"}), name="events"),
    path("events/<int:pk>/", views.Events.as_view({"get": "retrieve"}), name="event"),
    path(
        "events/<int:pk>/attendances/", views.Events.as_view({"get": "attendances"}), name="event-attendances"
    ),
]
