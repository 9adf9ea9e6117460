"""The status page's URLs for the scoping walker (see tests/test_scoping_walker.py)."""

from datetime import timedelta

from django.utils import timezone

from labourhub.status.models import Component, Incident, Maintenance


def _no_kwargs(anytown):
    return {}


URLS = dict.fromkeys(
    ["status:page", "status:summary_json", "status:history_atom", "status:subscribe"], _no_kwargs
)

ADMIN_OBJECTS = {
    Incident: lambda anytown: Incident.objects.create(title="Sign-in slow", components=[Component.SIGN_IN]),
    Maintenance: lambda anytown: Maintenance.objects.create(
        title="Upgrade",
        components=[Component.API],
        starts_at=timezone.now() + timedelta(days=30),
        ends_at=timezone.now() + timedelta(days=30, hours=1),
    ),
}
OWNERS = {
    f"admin:status_{model}_{view}": "operator"
    for model in ("incident", "maintenance")
    for view in ("changelist", "add", "change", "delete", "history")
}

_PUBLIC = "public by design: what the checks found and what operators posted, no CLP's records"
NO_CANARY = {
    "status:page": _PUBLIC,
    "status:summary_json": _PUBLIC,
    "status:history_atom": _PUBLIC,
    "status:subscribe": "the signed-in officer's own choice to get status emails: no CLP's records",
    **dict.fromkeys(OWNERS, "the operators' incidents and maintenance: platform-wide, no CLP's records"),
}
