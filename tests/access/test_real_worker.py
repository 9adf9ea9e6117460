"""Emails go out from a real Celery worker to a real SMTP server."""

import pytest

from access.models import Notification
from tests.access.factories import canvassing_tool, make_eligible, submit
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_endorsers_are_emailed_by_the_worker(smtp_server, celery_worker, anytown):
    member = make_eligible(
        UserFactory(email="sam@anytown.example", full_name="Sam Anytownson"), anytown.constituency
    )
    access_request = submit(canvassing_tool(), member, anytown.constituency)
    planned = Notification.objects.filter(request=access_request)
    assert planned.count() == 2  # the CLP secretary and the CLP officer
    celery_worker.wait_for(lambda: not planned.filter(sent_at__isnull=True).exists())
    assert set(smtp_server.recipients()) == set(planned.values_list("to__email", flat=True))
