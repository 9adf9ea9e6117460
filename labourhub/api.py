"""The REST API routers. Each app registers its viewsets on them from its own api.py:
`router` (/api/, session only, the first read-only endpoints) and `v1_router` (/api/v1/, tokens
or session; see labourhub/api_v1/)."""

from rest_framework import routers

router = routers.DefaultRouter()
v1_router = routers.DefaultRouter()
v1_router.include_root_view = False
