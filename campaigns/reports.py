"""What organisers read: contact rates, intentions, doors per session and canvasser, trends, issues.

Every figure counts visits that are not voided. Each function is a handful of grouped queries,
whatever the number of visits.
"""

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.http import StreamingHttpResponse

from campaigns.models import Answer, Question, Visit, VisitIssue
from labourhub.csv_export import line_writer, safe_row
from labourhub.forms import parse_day_first
from voters.models import Elector


def csv_response(filename, header, rows):
    writer = line_writer()
    lines = (writer.writerow(safe_row(row)) for row in [header, *rows])
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def date_range(params):
    """?from=31/01/2027&to=... typed day first (or YYYY-MM-DD), either optional; bad dates are
    ignored and said so, naming the box."""
    errors, bounds = [], {}
    for name in ("from", "to"):
        try:
            bounds[name] = parse_day_first(params.get(name, ""))
        except ValidationError as problem:
            errors.append(f"{name.capitalize()}: {problem.messages[0]} Not applied.")
    return bounds.get("from"), bounds.get("to"), errors


def visits_for(campaign, start=None, end=None):
    visits = Visit.unscoped.filter(campaign=campaign).counted()
    if start:
        visits = visits.filter(received_at__date__gte=start)
    if end:
        visits = visits.filter(received_at__date__lte=end)
    return visits


def by_area(campaign, visits):
    """Per polling district (with its ward): electors, electors reached, spoke, contact rate."""
    reached = {
        row["elector__polling_district"]: row
        for row in visits.values("elector__polling_district").annotate(
            reached=Count("elector", distinct=True),
            spoke=Count("elector", distinct=True, filter=Q(outcome__spoke=True)),
            visits=Count("pk"),
        )
    }
    rows = []
    for pd in (
        Elector.unscoped.filter(polling_district__constituency=campaign.constituency)
        .on_register()
        .values("polling_district", "polling_district__code", "polling_district__ward__name")
        .annotate(electors=Count("pk"))
        .order_by("polling_district__ward__name", "polling_district__code")
    ):
        got = reached.get(pd["polling_district"], {})
        rows.append(
            {
                "ward": pd["polling_district__ward__name"] or "(no ward)",
                "pd": pd["polling_district__code"],
                "electors": pd["electors"],
                "reached": got.get("reached", 0),
                "spoke": got.get("spoke", 0),
                "visits": got.get("visits", 0),
                "rate": round(100 * got.get("spoke", 0) / pd["electors"], 1) if pd["electors"] else 0,
            }
        )
    return rows


def by_ward(area_rows):
    wards = {}
    for row in area_rows:
        ward = wards.setdefault(
            row["ward"], {"ward": row["ward"], "electors": 0, "reached": 0, "spoke": 0, "visits": 0}
        )
        for key in ("electors", "reached", "spoke", "visits"):
            ward[key] += row[key]
    for ward in wards.values():
        ward["rate"] = round(100 * ward["spoke"] / ward["electors"], 1) if ward["electors"] else 0
    return list(wards.values())


def intentions(visits):
    return list(
        Answer.objects.filter(visit__in=visits, question__kind=Question.Kind.INTENTION)
        .values("intention__code", "intention__label", "intention__colour", "strength")
        .annotate(n=Count("pk"))
        .order_by("intention__position", "strength")
    )


def sessions(visits):
    """A session is one canvasser's day: doors, people, spoke."""
    return list(
        visits.annotate(day=TruncDate("received_at"))
        .values("day", "canvasser", "canvasser__full_name", "canvasser__email")
        .annotate(
            doors=Count("elector__home", distinct=True),
            people=Count("elector", distinct=True),
            spoke=Count("pk", filter=Q(outcome__spoke=True)),
            voided=Count("pk", filter=Q(voided=True)),
        )
        .order_by("-day", "canvasser__full_name")
    )


def per_canvasser(visits):
    return list(
        visits.values("canvasser__full_name", "canvasser__email")
        .annotate(doors=Count("elector__home", distinct=True), visits=Count("pk"))
        .order_by("-doors")
    )


def trend(visits):
    return list(
        visits.annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(visits=Count("pk"), spoke=Count("pk", filter=Q(outcome__spoke=True)))
        .order_by("day")
    )


def issues_by_area(visits):
    """Issues raised per ward and polling district, with where the PD is (for the map)."""
    rows = list(
        VisitIssue.objects.filter(visit__in=visits)
        .values(
            "issue__code",
            "issue__label",
            "visit__elector__polling_district__code",
            "visit__elector__polling_district__ward__name",
        )
        .annotate(
            n=Count("pk"),
            lat=Avg("visit__elector__home__latitude"),
            lng=Avg("visit__elector__home__longitude"),
        )
        .order_by(
            "visit__elector__polling_district__ward__name", "visit__elector__polling_district__code", "-n"
        )
    )
    return [
        {
            "ward": r["visit__elector__polling_district__ward__name"] or "(no ward)",
            "pd": r["visit__elector__polling_district__code"],
            "issue": r["issue__label"],
            "code": r["issue__code"],
            "n": r["n"],
            "lat": r["lat"],
            "lng": r["lng"],
        }
        for r in rows
    ]


def issues_by_week(visits):
    return list(
        VisitIssue.objects.filter(visit__in=visits)
        .annotate(week=TruncWeek("visit__received_at"))
        .values("week", "issue__label")
        .annotate(n=Count("pk"))
        .order_by("week", "-n")
    )
