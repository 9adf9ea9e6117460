"""The register's part of the home page (labourhub/home.py): imports running, failed lately, and
possible name changes waiting for a person to decide."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from labourhub.home import Need
from labourhub.scoping import Action, can
from voters.models import NameChangeReview, RegisterImport

FAILED_WITHIN = timedelta(days=7)


def needs(user):
    if not can(user, Action.MANAGE_VOTERS):
        return []
    imports = RegisterImport.objects.for_user(user, Action.MANAGE_VOTERS)
    Status = RegisterImport.Status
    url = reverse("voters:imports")
    return [
        Need(
            "register_imports_running",
            imports.filter(status__in=[Status.QUEUED, Status.RUNNING]).count(),
            "register imports running",
            url,
        ),
        Need(
            "register_imports_failed",
            imports.filter(
                status__in=[Status.FAILED, Status.REJECTED], created_at__gte=timezone.now() - FAILED_WITHIN
            ).count(),
            "register imports failed or rejected in the last 7 days",
            url,
        ),
        Need(
            "name_changes_to_review",
            NameChangeReview.objects.for_user(user, Action.MANAGE_VOTERS).to_review().count(),
            "possible name changes to review",
            reverse("voters:name_changes"),
        ),
    ]
