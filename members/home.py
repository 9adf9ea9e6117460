"""Members' part of the home page (labourhub/home.py): lapsed this month, imports, sends going out."""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from labourhub.home import Need
from labourhub.scoping import Action, can
from members.models import EmailSend, Member, MemberImport, Status

FAILED_WITHIN = timedelta(days=7)


def needs(user):
    found = []
    if can(user, Action.VIEW_MEMBERS):
        today = timezone.localdate()
        month_start = today.replace(day=1)
        lapsed = Member.objects.for_user(user, Action.VIEW_MEMBERS).filter(
            status=Status.LAPSED, lapsed_on__gte=month_start, lapsed_on__lte=today
        )
        query = urlencode({"status": Status.LAPSED, "lapsed_since": month_start.isoformat()})
        found.append(
            Need(
                "members_lapsed",
                lapsed.count(),
                "members lapsed this month",
                f"{reverse('members:list')}?{query}",
            )
        )
    if can(user, Action.MANAGE_MEMBERS):
        imports = MemberImport.objects.for_user(user, Action.MANAGE_MEMBERS)
        State = MemberImport.State
        url = reverse("members:import_upload")
        found += [
            Need(
                "member_imports_waiting",
                imports.filter(state=State.WAITING).count(),
                "member imports waiting for their columns to be matched",
                url,
            ),
            Need(
                "member_imports_running",
                imports.filter(state=State.RUNNING).count(),
                "member imports running",
                url,
            ),
            Need(
                "member_imports_failed",
                imports.filter(
                    state__in=[State.FAILED, State.REJECTED], created_at__gte=timezone.now() - FAILED_WITHIN
                ).count(),
                "member imports failed or rejected in the last 7 days",
                url,
            ),
            Need(
                "email_sends_in_progress",
                EmailSend.objects.for_user(user, Action.MANAGE_MEMBERS)
                .filter(state__in=[EmailSend.State.SCHEDULED, EmailSend.State.SENDING])
                .count(),
                "member emails scheduled or being sent",
                reverse("members:emails"),
            ),
        ]
    return found
