"""Reports and the audit log for regional staff: time to decision, backlog, overdue, refusals."""

from django.db.models import Aggregate, Count, F, FloatField, Q
from django.http import StreamingHttpResponse
from django.utils import timezone

from access.deciders import decidable_constituencies, escalation_regions
from access.models import AccessRequest, Decision
from labourhub.csv_export import line_writer, safe_row
from labourhub.models import AuditEvent, Grant, Region
from labourhub.scoping import ROLES_FOR, Action


class PercentileHours(Aggregate):
    """percentile_cont over an interval, in hours (Postgres)."""

    function = "percentile_cont"
    template = (
        "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)"
    )
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def review_regions(user):
    """Regions whose requests `user` reviews (regional staff, their delegates, escalation contacts)."""
    return Region.objects.filter(
        Q(constituencies__in=decidable_constituencies(user, Action.REVIEW_ACCESS))
        | Q(pk__in=escalation_regions(user))
    ).distinct()


def audit_regions(user):
    """Regions whose audit log `user` may search: region-level grants that read the audit log."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    grants = Grant.objects.filter(user=user, region__isnull=False, role__in=ROLES_FOR[Action.VIEW_AUDIT])
    return Region.objects.filter(pk__in=grants.values("region"))


def summary(regions, now=None):
    now = now or timezone.now()
    in_regions = AccessRequest.objects.filter(region__in=regions)
    elapsed = F("decided_at") - F("submitted_at")
    times = list(
        in_regions.filter(status__in=["approved", "refused"])
        .values("tool__name", "region__name")
        .annotate(
            decided=Count("pk"),
            refused=Count("pk", filter=Q(status="refused")),
            median_hours=PercentileHours(elapsed, 0.5),
            p90_hours=PercentileHours(elapsed, 0.9),
        )
        .order_by("region__name", "tool__name")
    )
    backlog = list(
        in_regions.open()
        .values("tool__name", "region__name")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(step_due_at__lt=now, status__in=["endorsement", "review"])),
        )
        .order_by("region__name", "tool__name")
    )
    chart = [
        {
            "tool": row["tool__name"],
            "region": row["region__name"],
            "median": row["median_hours"],
            "p90": row["p90_hours"],
        }
        for row in times
    ]
    overdue = in_regions.overdue(now).select_related("tool", "requester", "constituency").by_deadline()[:100]
    refusals = (
        Decision.objects.filter(request__region__in=regions, outcome=Decision.Outcome.REFUSED)
        .select_related("by", "request__tool", "request__constituency")
        .order_by("-at")[:100]
    )
    return {
        "times": times,
        "chart": chart,
        "backlog": backlog,
        "overdue": overdue,
        "refusals": refusals,
        "regions": regions,
    }


def audit_search(regions, criteria):
    events = AuditEvent.objects.filter(region__in=regions).select_related("user", "constituency")
    if criteria.get("q"):
        q = criteria["q"].strip()
        events = events.filter(Q(action__icontains=q) | Q(user__email__icontains=q) | Q(object_id=q))
    if criteria.get("constituency"):
        events = events.filter(constituency=criteria["constituency"])
    if criteria.get("since"):
        events = events.filter(at__date__gte=criteria["since"])
    if criteria.get("until"):
        events = events.filter(at__date__lte=criteria["until"])
    return events.order_by("-at", "-pk")


def audit_csv(events):
    writer = line_writer()
    header = ["at", "user", "action", "object_type", "object_id", "constituency", "ip_address", "detail"]

    def rows():
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                safe_row(
                    (
                        event.at.isoformat(),
                        event.user.email if event.user else "",
                        event.action,
                        event.object_type,
                        event.object_id,
                        event.constituency.name if event.constituency else "",
                        event.ip_address,
                        event.detail,
                    )
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


# --- The catalogue's history, for the public rules page ---------------------------------

CATALOGUE_ACTIONS = ["access.tool.add", "access.tool.change"]


def catalogue_changes(limit=50):
    """The latest changes to the catalogue of tools: when, who, which tool, each field's old and
    new value in words. One query (the audit rows and who made them)."""
    from access.models import Tool

    labels = {
        field.name: field.verbose_name for field in Tool._meta.get_fields() if hasattr(field, "verbose_name")
    }
    events = AuditEvent.objects.filter(action__in=CATALOGUE_ACTIONS).select_related("user")[:limit]
    return [
        {
            "at": event.at,
            "who": event.user.get_full_name() if event.user else "the platform operator",
            "tool": event.detail.get("tool", ""),
            "added": event.action == "access.tool.add",
            "changes": [
                f"{labels.get(name, name)[:1].upper()}{labels.get(name, name)[1:]}: "
                f"{_in_words(name, old)} → {_in_words(name, new)}"
                for name, (old, new) in event.detail.get("changes", {}).items()
            ],
        }
        for event in events
    ]


def _in_words(name, value):
    from access.models import roles_in_words

    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return roles_in_words(value)
    if name in ("role", "requires_role"):
        from labourhub.models import Role

        return Role(value).label
    return str(value)
