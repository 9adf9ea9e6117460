"""The one REST API router. Each app registers its viewsets on it from its own api.py."""

from rest_framework import routers

router = routers.DefaultRouter()
