"""Factories for access: tools, standings, requests."""

import factory
from django.utils import timezone

from access.models import Tool, TrainingRecord
from access.services import request_submit
from labourhub.models import Role
from members.models import Status
from tests.factories import ModelFactory
from tests.members.factories import MemberFactory


class ToolFactory(ModelFactory):
    class Meta:
        model = Tool
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Tool {n}")
    slug = factory.Sequence(lambda n: f"tool-{n}")
    role = Role.CANVASSER
    training_months = 24
    decision_hours = 48
    default_days = 365
    max_days = 730


def canvassing_tool(**overrides):
    return ToolFactory(name="Canvassing", slug="canvassing", role=Role.CANVASSER, **overrides)


def make_eligible(user, constituency, *, trained_days_ago=30):
    """A current member of the CLP with data-protection training done."""
    MemberFactory(user=user, constituency=constituency, status=Status.CURRENT)
    TrainingRecord.objects.create(
        user=user, completed_on=timezone.localdate() - timezone.timedelta(days=trained_days_ago)
    )
    return user


def submit(tool, user, constituency, **kwargs):
    defaults = {
        "submitted_by": user,
        "reason": "Anytown doorstep sessions on Saturdays",
        "needed_by": timezone.localdate() + timezone.timedelta(days=7),
    }
    return request_submit(tool=tool, requester=user, constituency=constituency, **defaults | kwargs)


def approved(tool, user, constituency, *, endorser, reviewer):
    """Submit, endorse and approve: a holding of a tool people decide (only canvasser and teller
    access is approved automatically)."""
    from access.services import request_decide

    access_request = submit(tool, user, constituency)
    if tool.needs_endorsement:
        request_decide(
            access_request_id=access_request.pk,
            user=endorser,
            decision="endorse",
            expected_status="endorsement",
        )
    request_decide(
        access_request_id=access_request.pk, user=reviewer, decision="approve", expected_status="review"
    )
    access_request.refresh_from_db()
    return access_request
