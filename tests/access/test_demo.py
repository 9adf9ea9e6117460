import io

import pytest

from access import demo
from access.models import AccessRequest, Holding, Status, Tool
from labourhub import demo as core_demo

pytestmark = pytest.mark.django_db


def test_demo_has_tools_and_requests_in_every_state_and_is_idempotent():
    core_demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert Tool.objects.count() == len(demo.CATALOGUE)
    states = set(AccessRequest.objects.values_list("status", flat=True))
    assert states == set(Status.values)
    assert AccessRequest.objects.filter(escalation_level__gt=0).exists()
    assert Holding.unscoped.filter(revoked_at__isnull=False).exists()
    assert Holding.unscoped.active().exists()
