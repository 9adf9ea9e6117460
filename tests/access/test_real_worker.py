"""Emails go out from a real Celery worker to a real SMTP server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import EscalationContact, Notification
from access.services import requests_escalate_overdue
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


@pytest.mark.django_db(transaction=True)
def test_each_escalation_is_emailed_by_the_worker(smtp_server, celery_worker, anytown, westland):
    member = make_eligible(
        UserFactory(email="sam@anytown.example", full_name="Sam Anytownson"), anytown.constituency
    )
    director = UserFactory(email="director@westland.example", full_name="Dana Director")
    national = UserFactory(email="national@labour.example", full_name="Nia National")
    EscalationContact.objects.create(region=westland, user=director)
    EscalationContact.objects.create(level=EscalationContact.Level.NATIONAL, user=national)
    start = timezone.now()
    access_request = submit(canvassing_tool(), member, anytown.constituency, now=start)
    for hours in (49, 98, 147):
        requests_escalate_overdue(now=start + timedelta(hours=hours))
    planned = Notification.objects.filter(request=access_request, subject__startswith="Overdue")
    celery_worker.wait_for(lambda: not planned.filter(sent_at__isnull=True).exists())
    assert {director.email, national.email} <= set(smtp_server.recipients())
