"""The demo (`make run`) has Anytown's data protection lead with requests at each point of the clock."""

import io

import pytest
from django.utils import timezone

from labourhub import demo
from labourhub.dataprotection.models import Breach, SubjectRequest

pytestmark = pytest.mark.django_db


def test_the_demo_has_requests_and_a_breach_and_seeding_twice_adds_nothing():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    rows = SubjectRequest.unscoped.filter(constituency__gss_code=demo.ANYTOWN_CODE)
    assert rows.count() == 4
    assert rows.overdue(timezone.localdate()).count() == 1
    assert rows.filter(status="awaiting_id").count() == 1
    assert Breach.unscoped.count() == 1
