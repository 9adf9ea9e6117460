"""Events and shifts, sign-up and booking (issue 17, items 1, 2 and 4), as Anytown's people use them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import events, events_services
from campaigns.models import Event, EventContact, EventMessage, Shift, Signup
from labourhub.models import Role
from members.models import Member
from tests.campaigns.event_factories import EventFactory, ShiftFactory, booked, event_with_shift, local
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.members.factories import MemberFactory
from tests.voters.factories import PropertyFactory


@pytest.fixture
def organiser(anytown, client):
    user = anytown.user(Role.ORGANISER)
    client.force_login(user)
    return user


def _signup_post(the_shift, **overrides):
    data = {
        "shift": the_shift.pk,
        "name": "Sam Anytown",
        "email": "sam@anytown.example",
        "phone": "07700 900 001",
        "consent_email": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _sign_up(client, event, the_shift, /, **overrides):
    return client.post(
        reverse("campaigns:event_public", args=[event.token]), _signup_post(the_shift, **overrides)
    )


# --- Item 1: the organiser's pages -------------------------------------------------------------------


def test_organiser_creates_an_event_with_its_first_shift(anytown, organiser, client):
    day = (timezone.localdate() + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    response = client.post(
        reverse("campaigns:event_create"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "canvass",
            "title": "Saturday doors",
            "meeting_area": "Near the station",
            "meeting_point": "12 High Street",
            "visibility": "public",
            "capacity": "20",
            "starts_at": f"{day} 10:30",
            "ends_at": f"{day} 12:30",
            "role": "canvasser",
            "minimum": "4",
            "maximum": "10",
        },
    )
    event = Event.unscoped.get(title="Saturday doors")
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:event", args=[event.pk])
    shift = event.shifts.get()
    assert (shift.minimum, shift.maximum, timezone.localtime(shift.starts_at).strftime("%H:%M")) == (
        4,
        10,
        "10:30",
    )
    page = client.get(reverse("campaigns:event", args=[event.pk]))
    assert "Saturday doors" in page.text and 'data-fill="short"' in page.text


def test_an_event_ending_before_it_starts_is_refused_with_a_message(anytown, organiser, client):
    day = (timezone.localdate() + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    response = client.post(
        reverse("campaigns:event_create"),
        {
            "constituency": anytown.constituency.pk,
            "kind": "canvass",
            "title": "Backwards",
            "visibility": "public",
            "starts_at": f"{day} 12:30",
            "ends_at": f"{day} 10:30",
            "minimum": "1",
        },
    )
    assert response.status_code == 200
    assert "must end after it starts" in response.text
    assert not Event.unscoped.filter(title="Backwards").exists()


def test_a_canvass_session_links_only_to_its_own_clps_walk_list(anytown, otherton, organiser):
    theirs = pack_with_doors(
        campaign_with_survey(otherton.constituency),
        [PropertyFactory(polling_district=otherton.polling_district)],
    )
    with pytest.raises(Exception, match="another CLP"):
        events_services.event_create(
            user=organiser,
            constituency=anytown.constituency,
            title="x",
            walk_list=theirs.walk_list,
            starts_at=local(timezone.localdate() + datetime.timedelta(days=2), 10),
            ends_at=local(timezone.localdate() + datetime.timedelta(days=2), 12),
        )


def test_other_clps_organiser_cannot_open_or_change_the_event(anytown, otherton, client):
    event, shift = event_with_shift(anytown.constituency)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    for name in ("campaigns:event", "campaigns:event_edit", "campaigns:event_check_in"):
        assert client.get(reverse(name, args=[event.pk])).status_code == 404
    assert client.post(reverse("campaigns:event_cancel", args=[event.pk])).status_code == 404
    event.refresh_from_db()
    assert event.status == Event.Status.PLANNED


def test_a_canvasser_cannot_open_the_organisers_pages(anytown, client):
    event, _ = event_with_shift(anytown.constituency)
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("campaigns:events")).status_code == 403
    assert client.get(reverse("campaigns:event", args=[event.pk])).status_code == 404


def test_the_events_list_counts_without_a_query_per_event(
    anytown, organiser, client, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            event, shift = event_with_shift(anytown.constituency)
            booked(shift)
            attended = booked(shift)
            attended.attendance = Signup.Attendance.ATTENDED
            attended.confirmed_at = timezone.now()
            attended.save(update_fields=["attendance", "confirmed_at"])
            booked(shift, status=Signup.Status.WAITING)

    make(2)
    client.get(reverse("campaigns:events"))  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("campaigns:events"))
    make(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("campaigns:events"))
    # session, user with its MFA check, may organise, the events, their shifts, their counts, may answer
    # requests from other CLPs (bench_events counted 8 with 500 events, before the MFA check
    # joined the user's statement)
    assert len(few.captured_queries) == 7
    rows = response.text.count('href="/campaigns/events/')
    assert rows >= 12
    assert response.context["events"][0].booked == 2
    assert response.context["events"][0].confirmed == 1
    assert response.context["events"][0].attended == 1
    assert response.context["events"][0].waiting == 1


def test_repeating_makes_the_next_occurrences_at_the_same_local_time(anytown, organiser):
    # Across the end of summer time: the wall-clock time stays 10:30.
    event, shift = event_with_shift(
        anytown.constituency, starts_at=local(datetime.date(2027, 10, 16), 10, 30)
    )
    made = events_services.event_repeat(user=organiser, event=event, every_days=7, count=3)
    starts = [timezone.localtime(e.shifts.get().starts_at) for e in made]
    assert [s.date() for s in starts] == [
        datetime.date(2027, 10, 23),
        datetime.date(2027, 10, 30),
        datetime.date(2027, 11, 6),
    ]
    assert {s.strftime("%H:%M") for s in starts} == {"10:30"}
    assert {e.series for e in made} == {Event.unscoped.get(pk=event.pk).series}
    assert len({e.token for e in made} | {event.token}) == 4


def test_repeat_refuses_silly_counts(anytown, organiser, client):
    event, _ = event_with_shift(anytown.constituency)
    response = client.post(
        reverse("campaigns:event_repeat", args=[event.pk]), {"every_days": "7", "count": "500"}
    )
    assert response.status_code == 302
    assert Event.unscoped.filter(constituency=anytown.constituency).count() == 1


def test_fill_status_follows_minimum_and_maximum(anytown):
    event, shift = event_with_shift(anytown.constituency)
    shift.minimum, shift.maximum = 2, 3
    shift.save(update_fields=["minimum", "maximum"])
    states = []
    for _ in range(3):
        booked(shift)
        states.append(events.fill_status(events.shifts_with_fill(event).get()))
    assert states == ["short", "ok", "full"]


# --- Item 2: the public sign-up page ---------------------------------------------------------------


def test_public_sign_up_needs_no_sign_in_and_books_a_new_contact(
    anytown, client, django_capture_on_commit_callbacks
):
    event, shift = event_with_shift(anytown.constituency)
    with django_capture_on_commit_callbacks() as queued:
        response = _sign_up(client, event, shift)
    signup = Signup.unscoped.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "campaigns:signup", args=[signup.token]
    )
    assert signup.status == Signup.Status.BOOKED
    assert signup.contact.source == "event sign-up" and signup.contact.member is None
    assert signup.contact.consent_email and "Email me about this event" in signup.contact.consent_wording
    assert len(queued) == 1  # the confirmation, by the worker
    page = client.get(response["Location"])
    assert "12 Anytown Road" in page.text  # booked: the exact meeting point


def test_the_exact_address_is_hidden_until_booked(anytown, client):
    event, shift = event_with_shift(anytown.constituency, needs_approval=True)
    page = client.get(reverse("campaigns:event_public", args=[event.token]))
    assert "Near Anytown station" in page.text and "12 Anytown Road" not in page.text
    notice = reverse("privacy_notice", args=[anytown.constituency.gss_code])
    assert f'href="{notice}"' in page.text  # the CLP's privacy notice, at the point of collection
    assert "12 Anytown Road" not in client.get(reverse("campaigns:event_ics", args=[event.token])).text
    response = _sign_up(client, event, shift)
    signup = Signup.unscoped.get()
    assert signup.status == Signup.Status.REQUESTED
    assert "12 Anytown Road" not in client.get(response["Location"]).text
    assert "12 Anytown Road" not in client.get(reverse("campaigns:signup_ics", args=[signup.token])).text


def test_missing_email_consent_is_refused_with_a_clear_message(anytown, client):
    event, shift = event_with_shift(anytown.constituency)
    response = _sign_up(client, event, shift, consent_email=None)
    assert response.status_code == 400
    assert "Tick the email box" in response.text
    assert not Signup.unscoped.exists() and not EventContact.unscoped.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address"),
        ("name", "   ", "This field is required"),
        ("phone", "call me<b>", "digits, spaces"),
        ("shift", "999999", "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_saying_what_and_where(anytown, client, field, value, message):
    event, shift = event_with_shift(anytown.constituency)
    response = _sign_up(client, event, shift, **{field: value})
    assert response.status_code == 400
    assert message in response.text
    assert not Signup.unscoped.exists()


def test_sms_consent_is_hidden_with_no_sms_provider(anytown, client, settings):
    event, _ = event_with_shift(anytown.constituency)
    settings.SMS_PROVIDER_URL = ""
    assert 'name="consent_sms"' not in client.get(reverse("campaigns:event_public", args=[event.token])).text
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9/sms"
    assert 'name="consent_sms"' in client.get(reverse("campaigns:event_public", args=[event.token])).text


def test_a_bot_posting_many_times_is_refused(anytown, client):
    event, shift = event_with_shift(anytown.constituency)
    statuses = [
        _sign_up(client, event, shift, email=f"bot{n}@spam.example", name=f"Bot {n}").status_code
        for n in range(12)
    ]
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert Signup.unscoped.count() == 5


def test_a_bot_filling_the_hidden_field_signs_nobody_up(anytown, client):
    event, shift = event_with_shift(anytown.constituency)
    response = _sign_up(client, event, shift, website="http://spam.example")
    assert response.status_code == 404
    assert not Signup.unscoped.exists()


def test_html_in_a_name_is_escaped_everywhere(anytown, organiser, client, smtp_server):
    event, shift = event_with_shift(anytown.constituency, needs_approval=True)
    evil = '<script>alert("x")</script><b>Bold</b>'
    client.logout()
    response = _sign_up(client, event, shift, name=evil)
    signup = Signup.unscoped.get()
    assert signup.contact.name == evil  # stored as typed
    booking_page = client.get(response["Location"]).text
    client.force_login(organiser)
    organiser_page = client.get(reverse("campaigns:event", args=[event.pk])).text
    events_services.signup_book(user=organiser, signup=signup)
    check_in = client.get(reverse("campaigns:event_check_in", args=[event.pk])).text
    for page in (booking_page, organiser_page, check_in):
        assert "<script>alert" not in page and "<b>Bold" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    events_services.event_message_send(signup_id=signup.pk, kind=EventMessage.Kind.CONFIRMATION)
    email = smtp_server.messages[-1]["data"].decode()
    assert "Content-Type: text/plain" in email  # a plain-text email: markup is never rendered


def test_an_email_that_belongs_to_a_member_is_matched_not_duplicated(anytown, client):
    member = MemberFactory(constituency=anytown.constituency, email="Ada.Member@Anytown.example")
    members_before = Member.unscoped.count()
    event, shift = event_with_shift(anytown.constituency)
    second = ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(days=1))
    _sign_up(client, event, shift, email="ada.member@anytown.example", name="Ada")
    client.cookies.clear()
    _sign_up(client, event, second, email="ADA.MEMBER@ANYTOWN.EXAMPLE", name="Ada M")
    assert Member.unscoped.count() == members_before
    contact = EventContact.unscoped.get()
    assert contact.member == member
    assert Signup.unscoped.filter(contact=contact).count() == 2
    # Anyone can type an address on a public page: a second sign-up never rewrites who it is.
    assert contact.name == "Ada"


def test_a_member_of_another_clp_is_not_linked(anytown, otherton, client):
    MemberFactory(
        constituency=otherton.constituency, email="visitor@otherton.example", last_name="Othertonson"
    )
    event, shift = event_with_shift(anytown.constituency)
    _sign_up(client, event, shift, email="visitor@otherton.example")
    assert EventContact.unscoped.get().member is None


def test_members_only_events_are_hidden_from_the_public_and_other_clps(anytown, otherton, client):
    event, shift = event_with_shift(anytown.constituency, visibility=Event.Visibility.MEMBERS)
    url = reverse("campaigns:event_public", args=[event.token])
    assert client.get(url).status_code == 404
    assert _sign_up(client, event, shift).status_code == 404
    outsider = otherton.user(Role.CANVASSER)
    MemberFactory(constituency=otherton.constituency, user=outsider, last_name="Othertonson")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    insider = anytown.user(Role.CANVASSER)
    MemberFactory(constituency=anytown.constituency, user=insider)
    client.force_login(insider)
    assert client.get(url).status_code == 200
    assert not Signup.unscoped.exists()


def test_a_member_signs_up_with_one_tap_from_their_page(anytown, client):
    user = anytown.user(Role.CANVASSER)
    member = MemberFactory(constituency=anytown.constituency, user=user, email="tap@anytown.example")
    event, shift = event_with_shift(anytown.constituency, visibility=Event.Visibility.MEMBERS)
    client.force_login(user)
    page = client.get(reverse("members:me"))
    assert event.title in page.text and reverse("campaigns:member_signup", args=[shift.pk]) in page.text
    response = client.post(reverse("campaigns:member_signup", args=[shift.pk]))
    signup = Signup.unscoped.get()
    assert response["Location"] == reverse("campaigns:signup", args=[signup.token])
    assert signup.contact.member == member and signup.contact.source == "member page"
    assert signup.status == Signup.Status.BOOKED
    assert "Booked" in client.get(reverse("members:me")).text


def test_one_tap_refuses_another_clps_event(anytown, otherton, client):
    user = anytown.user(Role.CANVASSER)
    MemberFactory(constituency=anytown.constituency, user=user)
    _, theirs = event_with_shift(otherton.constituency, title="Otherton doors")
    client.force_login(user)
    assert client.post(reverse("campaigns:member_signup", args=[theirs.pk])).status_code == 404
    assert not Signup.unscoped.exists()


def test_the_calendar_file_is_valid_and_escaped(anytown, client):
    event, shift = event_with_shift(
        anytown.constituency, title="Doors; and, more\nlines", description="x" * 200
    )
    response = client.get(reverse("campaigns:event_ics", args=[event.token]))
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Doors\\; and\\, more\\nlines (canvasser)" in text
    assert f"DTSTART:{shift.starts_at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_the_booking_page_offers_add_to_calendar_links(anytown, client):
    event, shift = event_with_shift(anytown.constituency)
    signup = booked(shift)
    page = client.get(reverse("campaigns:signup", args=[signup.token])).text
    assert reverse("campaigns:signup_ics", args=[signup.token]) in page
    assert "calendar.google.com/calendar/render?action=TEMPLATE" in page


# --- Sign-up versus booking, the waiting list ------------------------------------------------------


def test_a_full_shift_puts_people_on_the_waiting_list_and_promotes_in_order(
    anytown, client, django_capture_on_commit_callbacks
):
    event, shift = event_with_shift(anytown.constituency)
    shift.maximum, shift.minimum = 1, 1
    shift.save(update_fields=["maximum", "minimum"])
    for n in range(3):
        client.cookies.clear()
        _sign_up(client, event, shift, email=f"p{n}@anytown.example", name=f"Person {n}")
    first, second, third = Signup.unscoped.order_by("id")
    assert [s.status for s in (first, second, third)] == ["booked", "waiting", "waiting"]
    with django_capture_on_commit_callbacks() as queued:
        events_services.signup_cancel(signup=first)
    second.refresh_from_db(), third.refresh_from_db()
    assert (second.status, third.status) == ("booked", "waiting")
    assert len(queued) == 1  # "you're booked", to the promoted person only


def test_event_capacity_limits_all_its_shifts(anytown, client):
    event, shift = event_with_shift(anytown.constituency, capacity=1)
    other = ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(hours=3))
    _sign_up(client, event, shift, email="a@anytown.example")
    _sign_up(client, event, other, email="b@anytown.example")
    assert list(Signup.unscoped.order_by("id").values_list("status", flat=True)) == ["booked", "waiting"]


def test_the_organiser_books_moves_and_declines(anytown, organiser, client):
    event, shift = event_with_shift(anytown.constituency, needs_approval=True)
    later = ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(hours=3))
    for n in range(3):
        client.cookies.clear()
        _sign_up(client, event, shift, email=f"q{n}@anytown.example")
    a, b, c = Signup.unscoped.order_by("id")
    assert {a.status, b.status, c.status} == {"requested"}
    client.force_login(organiser)
    decide = lambda s, **data: client.post(reverse("campaigns:signup_decide", args=[s.pk]), data)  # noqa: E731
    decide(a, action="book")
    decide(b, action="move", to=later.pk)
    decide(c, action="decline")
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert (a.status, b.status, b.shift_id, c.status) == ("booked", "booked", later.pk, "declined")
    response = decide(a, action="explode")
    assert response.status_code == 302
    assert "Choose book" in client.get(response["Location"]).text


def test_other_clps_organiser_cannot_decide_a_signup(anytown, otherton, client):
    event, shift = event_with_shift(anytown.constituency, needs_approval=True)
    signup = booked(shift, status=Signup.Status.REQUESTED)
    client.force_login(otherton.user(Role.CLP_SECRETARY))
    assert (
        client.post(reverse("campaigns:signup_decide", args=[signup.pk]), {"action": "book"}).status_code
        == 404
    )
    signup.refresh_from_db()
    assert signup.status == "requested"


# --- Item 4: check-in on a phone, packs handed out -----------------------------------------------------


def test_check_in_marks_attendance_hands_out_a_pack_and_adds_walk_ins(anytown, organiser, client):
    campaign = campaign_with_survey(anytown.constituency)
    pack = pack_with_doors(campaign, [PropertyFactory(polling_district=anytown.polling_district)])
    event, shift = event_with_shift(anytown.constituency, walk_list=pack.walk_list)
    came, stayed_home = booked(shift), booked(shift)
    url = reverse("campaigns:event_check_in", args=[event.pk])
    client.post(url, {"signup": came.pk, "attendance": "attended", "pack": pack.pk})
    client.post(url, {"signup": stayed_home.pk, "attendance": "no_show"})
    client.post(
        url, {"part": "walk_in", "shift": shift.pk, "name": "Walk In", "email": "walkin@anytown.example"}
    )
    came.refresh_from_db(), stayed_home.refresh_from_db()
    assert (came.attendance, came.pack_id, stayed_home.attendance) == ("attended", pack.pk, "no_show")
    walk_in = Signup.unscoped.get(contact__email="walkin@anytown.example")
    assert (walk_in.status, walk_in.attendance) == ("booked", "walk_in")
    listed = events.with_counts(Event.unscoped.filter(pk=event.pk)).get()
    assert listed.attended == 2


def test_check_in_refuses_a_pack_of_another_walk_list(anytown, organiser, client):
    campaign = campaign_with_survey(anytown.constituency)
    ours = pack_with_doors(campaign, [PropertyFactory(polling_district=anytown.polling_district)])
    stray = pack_with_doors(campaign, [PropertyFactory(polling_district=anytown.polling_district)])
    event, shift = event_with_shift(anytown.constituency, walk_list=ours.walk_list)
    came = booked(shift)
    response = client.post(
        reverse("campaigns:event_check_in", args=[event.pk]),
        {"signup": came.pk, "attendance": "attended", "pack": stray.pk},
    )
    assert "walk list" in client.get(response["Location"]).text
    came.refresh_from_db()
    assert came.pack_id is None and came.attendance == ""


def test_check_in_is_scoped_to_the_event(anytown, organiser, client):
    event, shift = event_with_shift(anytown.constituency)
    other_event, other_shift = event_with_shift(anytown.constituency)
    stranger = booked(other_shift)
    response = client.post(
        reverse("campaigns:event_check_in", args=[event.pk]),
        {"signup": stranger.pk, "attendance": "attended"},
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.attendance == ""


def test_shift_rows_are_scoped(anytown, otherton, client):
    _, shift = event_with_shift(anytown.constituency)
    client.force_login(otherton.user(Role.ORGANISER))
    assert client.get(reverse("campaigns:shift_edit", args=[shift.pk])).status_code == 404
    assert Shift.objects.for_user(otherton.user(Role.ORGANISER)).count() == 0


def test_event_factory_default_is_public(anytown):
    assert EventFactory(constituency=anytown.constituency).visibility == Event.Visibility.PUBLIC


@pytest.mark.parametrize("field", ["name", "email", "phone", "shift", "website"])
def test_a_nul_byte_anywhere_is_a_form_error_not_a_500(anytown, client, field):
    event, shift = event_with_shift(anytown.constituency)
    response = _sign_up(client, event, shift, **{field: "a\x00b"})
    assert response.status_code in (400, 404)  # 404: the trap field, filled in
    assert not Signup.unscoped.exists()


def test_a_booked_message_is_not_sent_once_the_booking_is_gone(anytown, smtp_server):
    _, shift = event_with_shift(anytown.constituency)
    signup = booked(shift)
    events_services.signup_cancel(signup=signup)
    assert not events_services.event_message_send(signup_id=signup.pk, kind=EventMessage.Kind.BOOKED)
    assert smtp_server.messages == []


def test_list_counts_are_not_multiplied_by_the_number_of_shifts(anytown, organiser, client):
    event, shift = event_with_shift(anytown.constituency)
    later = ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(hours=3))
    ShiftFactory(event=event, starts_at=shift.starts_at + datetime.timedelta(hours=6))
    booked(shift), booked(later)
    listed = client.get(reverse("campaigns:events")).context["events"]
    assert [(e.pk, e.booked) for e in listed] == [(event.pk, 2)]


EVENT_PAGE_QUERIES = 8  # session, user with its MFA check, event, shifts, sign-ups, may invite, visitors x2


def test_the_event_page_reads_a_fixed_number_of_queries_and_labels_each_row(
    anytown, otherton, organiser, client, django_assert_num_queries
):
    """bench_events: ~100 sign-ups an event. The rows share the shifts read once (each row's "Move
    to" lists the event's other shifts) and the member's CLP read with the sign-ups: a member of the
    CLP, a visiting member of another and a non-member are told apart with no query per row."""
    event, first = event_with_shift(anytown.constituency)
    second = ShiftFactory(event=event, starts_at=first.starts_at + datetime.timedelta(days=1))
    ours = booked(first, name="Our Member")
    visitor = booked(second, name="Visiting Member")
    for signup, clp in ((ours, anytown.constituency), (visitor, otherton.constituency)):
        signup.contact.member = MemberFactory(constituency=clp)
        signup.contact.save(update_fields=["member"])
    stranger = booked(second, name="Not A Member")
    url = reverse("campaigns:event", args=[event.pk])
    client.get(url)  # warm the session
    with django_assert_num_queries(EVENT_PAGE_QUERIES):
        html = client.get(url).text
    for _ in range(20):
        booked(first)
    with django_assert_num_queries(EVENT_PAGE_QUERIES):
        assert client.get(url).text.count("/decide/") == 23

    def row(signup):
        start = html.index(f'<select id="to-{signup.pk}"')
        return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]

    assert "Our Member</td>" not in row(ours) and 'muted">member</span>' in row(ours)
    assert 'muted">visiting member</span>' in row(visitor)
    assert "member</span>" not in row(stranger)
    # each row may move to the other shift only
    assert f'<option value="{second.pk}">' in row(ours) and f'<option value="{first.pk}">' not in row(ours)
    assert f'<option value="{first.pk}">' in row(visitor) and f'<option value="{second.pk}">' not in row(
        visitor
    )
