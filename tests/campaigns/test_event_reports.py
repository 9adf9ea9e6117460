"""Events reports (issue 17 item 7): fill and no-show rates, new volunteers, hours per ward, the
CSV; scoped to the organiser's CLPs, read in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import EventInvitation, Signup
from labourhub.models import Role
from members.models import EmailRecipient
from tests.campaigns.event_factories import ShiftFactory, booked, event_with_shift
from tests.members.factories import EmailSendFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _mark(signup, attendance):
    signup.attendance = attendance
    signup.save(update_fields=["attendance"])
    return signup


@pytest.fixture
def session(anytown):
    """Shift A (2 h, 4 places): 3 booked, 2 attended (one of them a member of Anytown Central), 1
    no-show. Shift B (2 h, minimum 2, no maximum): 1 booked, not checked in yet."""
    event, a = event_with_shift(anytown.constituency, title="Anytown Saturday canvass")
    a.maximum = 4
    a.save(update_fields=["maximum"])
    b = ShiftFactory(event=event, starts_at=a.starts_at + datetime.timedelta(hours=3), minimum=2)
    member = MemberFactory(constituency=anytown.constituency, ward=anytown.ward)
    there = _mark(booked(a), Signup.Attendance.ATTENDED)
    there.contact.member = member
    there.contact.save(update_fields=["member"])
    _mark(booked(a), Signup.Attendance.ATTENDED)
    _mark(booked(a), Signup.Attendance.NO_SHOW)
    booked(b)
    booked(b, status=Signup.Status.CANCELLED)  # not on it
    return event


def test_the_report_gives_fill_no_show_new_volunteers_and_hours_per_ward(client, anytown, otherton, session):
    event_with_shift(otherton.constituency, title="Otherton canvass")
    long_ago = timezone.now() - datetime.timedelta(days=200)
    _, before = event_with_shift(anytown.constituency, starts_at=long_ago)
    old = booked(before, name="Anytown regular", at=long_ago)
    now = timezone.now()  # ... comes again to shift B: not new
    Signup.unscoped.create(shift=session.shifts.last(), contact=old.contact, status="booked", booked_at=now)
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get(
        reverse("campaigns:event_reports"), {"from": timezone.localdate().strftime("%d/%m/%Y")}
    )
    assert response.status_code == 200
    page = response.text
    # A: 3 (of 4) on it (the no-show was booked); B: 2 of 2 wanted (the regular came again).
    (row,) = response.context["events"]
    assert (row.wanted, row.booked) == (6, 5) and row.fill_rate == 83.3
    assert 'data-figure="no_show_rate">33.3%<' in page  # 1 no-show of 3 checked
    assert 'data-figure="hours">4.0<' in page  # 2 people x 2 hours
    assert 'data-figure="new_volunteers">5<' in page  # the regular's first sign-up was 200 days ago
    assert response.context["wards"] == [
        ("Anytown Central", 2.0),
        ("No ward (not a member, or no ward recorded)", 2.0),
    ]
    assert "Anytown Saturday canvass" in page and "Otherton" not in page
    assert "<svg" in page and "Fill rate per event" in page


def test_a_bad_date_is_said_and_not_applied(client, anytown, session):
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get(reverse("campaigns:event_reports"), {"from": "31/02/2026"})
    assert response.status_code == 200
    assert "From:" in response.text and "Not applied." in response.text
    assert response.context["total"].booked == 4


def test_the_csv_has_a_row_per_shift(client, anytown, session):
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get(reverse("campaigns:event_reports_csv"))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("event,starts,places wanted,booked,fill rate %")
    assert lines[1].endswith(",4,3,75.0,2,1,33.3,4.0")
    assert lines[2].endswith(",2,1,50.0,0,0,,0.0")


def test_the_report_reads_in_a_fixed_number_of_queries(
    client, anytown, session, django_assert_max_num_queries
):
    _invitation(session, [MemberFactory(constituency=anytown.constituency)])
    client.force_login(anytown.user(Role.ORGANISER))
    client.get(reverse("campaigns:event_reports"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("campaigns:event_reports"))
    for _ in range(8):
        event, shift = event_with_shift(anytown.constituency)
        _mark(booked(shift), Signup.Attendance.ATTENDED)
        booked(shift)
        _invitation(event, [MemberFactory(constituency=anytown.constituency)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("campaigns:event_reports"))
    assert len(response.context["events"]) == 9
    assert [row.invited for row in response.context["turnout"]] == [1] * 9
    assert len(few.captured_queries) <= 14


def test_canvassers_do_not_read_events_reports(client, anytown, session):
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("campaigns:event_reports")).status_code == 403
    assert client.get(reverse("campaigns:event_reports_csv")).status_code == 403


def test_the_events_list_shows_fifty_a_page_with_counts(client, anytown):
    for _ in range(51):
        event_with_shift(anytown.constituency)
    client.force_login(anytown.user(Role.ORGANISER))
    first = client.get(reverse("campaigns:events"))
    assert len(first.context["events"]) == 50 and first.context["more"]
    assert 'href="?page=2"' in first.text
    second = client.get(reverse("campaigns:events"), {"page": "2"})
    assert len(second.context["events"]) == 1 and not second.context["more"]
    assert second.context["events"][0].booked == 0
    assert client.get(reverse("campaigns:events"), {"page": "x"}).status_code == 200  # bad page: the first


def _invitation(event, members, *, at=None, state=EmailRecipient.State.SENT):
    """An invitation to `event` sent (at `at`) to `members` by the member email engine."""
    at = at or timezone.now() - datetime.timedelta(hours=1)
    send = EmailSendFactory(constituency=event.constituency, state="done", planned_at=at)
    for member in members:
        EmailRecipient.unscoped.create(
            send=send, member=member, email=member.email, batch_number=0, planned_at=at, state=state
        )
    EventInvitation.unscoped.create(event=event, constituency=event.constituency, send=send)
    return send


def _signed_up(shift, member, *, at=None, confirmed=False, attendance=""):
    signup = booked(shift, email=member.email, at=at)
    signup.contact.member = member
    signup.contact.save(update_fields=["member"])
    signup.confirmed_at = timezone.now() if confirmed else None
    signup.attendance = attendance
    signup.save(update_fields=["confirmed_at", "attendance"])
    return signup


def test_turnout_of_invited_audiences_counts_who_signed_up_after_the_invitation(client, anytown, session):
    shift = session.shifts.first()
    came, booked_only, earlier, silent, bounced = MemberFactory.create_batch(
        5, constituency=anytown.constituency
    )
    sent_at = timezone.now() - datetime.timedelta(hours=2)
    send = _invitation(session, [came, booked_only, earlier, silent], at=sent_at)
    EmailRecipient.unscoped.create(
        send=send, member=bounced, email=bounced.email, batch_number=0, planned_at=sent_at, state="failed"
    )
    _signed_up(shift, came, confirmed=True, attendance=Signup.Attendance.ATTENDED)
    _signed_up(shift, booked_only)
    _signed_up(shift, earlier, at=sent_at - datetime.timedelta(days=1), confirmed=True)  # not from it
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get(reverse("campaigns:event_reports"))
    (row,) = response.context["turnout"]
    assert (row.invited, row.signed_up, row.confirmed, row.attended) == (4, 2, 1, 1)
    assert row.signed_up_rate == 50.0
    assert (
        "Turnout of invited audiences" in response.text
        and "Signed up, per cent of those invited" in response.text
    )
    csv = client.get(reverse("campaigns:event_reports_csv"), {"part": "invitations"})
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0] == "event,invitation,sent,invited,signed up,confirmed,attended"
    assert lines[1].startswith("Anytown Saturday canvass,News from Anytown,") and lines[1].endswith(
        ",4,2,1,1"
    )
