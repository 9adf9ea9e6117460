"""Factories for the register of data-subject requests and the breach log."""

import datetime

import factory
from django.utils import timezone

from labourhub.dataprotection import clock
from labourhub.dataprotection.models import Breach, BreachRisk, RequestKind, SubjectRequest
from tests.factories import ConstituencyFactory, ModelFactory


class SubjectRequestFactory(ModelFactory):
    """A request as `subject_request_create` would have logged it (due date by the rule)."""

    class Meta:
        model = SubjectRequest

    constituency = factory.SubFactory(ConstituencyFactory)
    kind = RequestKind.ACCESS
    received_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    requester_name = factory.Sequence(lambda n: f"Requester {n}")
    reference = factory.Sequence(lambda n: f"DSR-2026-{n:05d}")
    due_on = factory.LazyAttribute(
        lambda o: clock.due_date(o.received_on, nation=clock.nation_of(o.constituency.gss_code))
    )


class BreachFactory(ModelFactory):
    class Meta:
        model = Breach

    constituency = factory.SubFactory(ConstituencyFactory)
    what_happened = "A canvass sheet left on a bus"
    found_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=10))
    found_by = "A canvasser"
    kinds_of_data = "Names, addresses, voting intentions"
    risk = BreachRisk.RISK
