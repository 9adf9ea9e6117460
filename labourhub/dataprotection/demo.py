"""Demo data protection records for Anytown (called by labourhub/demo.py): requests at each point
of the clock and one breach, so the pages, the report and the reminders have something to show."""

import datetime

from django.utils import timezone

from labourhub.dataprotection import services
from labourhub.dataprotection.models import Breach, RequestKind, RequestStatus, SubjectRequest
from labourhub.models import Constituency, User

ANYTOWN_CODE = "E14099001"  # labourhub.demo.ANYTOWN_CODE (which imports this module)

LEAD_EMAIL = "privacy@anytown.demo"


def seed(stdout):
    anytown = Constituency.objects.filter(gss_code=ANYTOWN_CODE).first()
    lead = User.objects.filter(email=LEAD_EMAIL).first()
    if anytown is None or lead is None or SubjectRequest.unscoped.filter(constituency=anytown).exists():
        return
    today = timezone.localdate()

    def logged(days_ago, kind, name):
        return services.subject_request_create(
            user=lead,
            constituency=anytown,
            kind=kind,
            received_on=today - datetime.timedelta(days=days_ago),
            requester_name=name,
            requester_contact=f"{name.split()[0].lower()}@example.org",
            handler=lead,
        )

    logged(40, RequestKind.ACCESS, "Olive Overdue")
    logged(25, RequestKind.ERASURE, "Wendy Weekahead")
    waiting = logged(10, RequestKind.ACCESS, "Ian Identity")
    services.subject_request_set_status(
        user=lead,
        subject_request=waiting,
        status=RequestStatus.AWAITING_ID,
        on=today - datetime.timedelta(days=8),
    )
    answered = logged(30, RequestKind.OBJECTION, "Colin Canvassed")
    services.subject_request_set_status(
        user=lead,
        subject_request=answered,
        status=RequestStatus.ANSWERED,
        what_was_sent="Confirmed: marked do-not-contact",
        on=today - datetime.timedelta(days=12),
    )
    if not Breach.unscoped.filter(constituency=anytown).exists():
        services.breach_record(
            user=lead,
            constituency=anytown,
            values={
                "what_happened": "A printed walk list was left in a café; recovered the next morning.",
                "found_at": timezone.now() - datetime.timedelta(hours=20),
                "found_by": "A canvasser",
                "records_affected": 140,
                "people_affected": 210,
                "kinds_of_data": "Names, addresses, voting intentions",
                "risk": "risk",
                "contained": True,
            },
        )
    stdout.write("Data protection: 4 subject requests and a breach in Anytown.")
