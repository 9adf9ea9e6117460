"""The events part of the demo (issue 17, item 8), through the real services: upcoming sessions with
sign-ups, last Saturday's session with check-ins and its doors knocked, and a target-seat weekend
open to Otherton's members, one of whom is checked in today and canvasses till midnight."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.utils import timezone

from campaigns import events_services as services
from campaigns.models import Event, EventContact, Signup, WalkList
from labourhub.demo import OTHERTON_CODE, demo_user
from labourhub.models import Constituency, User

VISITOR_EMAIL = "visitor@otherton.demo"
NAMES = ["Priya Patel", "Tom Hughes", "Aisha Khan", "Gareth Jones", "Niamh Walsh", "Sol Mensah", "Kit Barnes"]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _saturday(offset_weeks: int) -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=(5 - today.weekday()) % 7 + 7 * offset_weeks)


def seed(*, anytown: Constituency, organiser: User, walk_lists: list[WalkList]) -> str:
    started = time.monotonic()
    common: dict[str, Any] = {
        "user": organiser,
        "constituency": anytown,
        "kind": Event.Kind.CANVASS,
        "meeting_area": "Near Anytown station",
        "meeting_point": "Anytown Labour office, 3 Market Street",
        "contact": organiser,
    }
    upcoming = []
    for title, day, hour in (
        ("Saturday doors: Castle ward", _saturday(1), 10),
        ("Wednesday evening doors", _saturday(1) + datetime.timedelta(days=4), 18),
    ):
        event = services.event_create(
            title=title,
            starts_at=_at(day, hour, 30),
            ends_at=_at(day, hour + 2, 30),
            maximum=6,
            walk_list=walk_lists[-1],
            **common,
        )
        shift = event.shifts.get()
        for name in NAMES:
            services.event_signup(
                event=event,
                shift=shift,
                name=name,
                email=f"{name.split()[0].lower()}@volunteers.demo",
                consent_email=True,
                wording="Demo sign-up",
            )
        first_three = Signup.unscoped.filter(shift=shift, status=Signup.Status.BOOKED).order_by("id")[:3]
        Signup.unscoped.filter(pk__in=list(first_three.values_list("pk", flat=True))).update(
            confirmed_at=timezone.now()
        )
        upcoming.append(event)
    past = _past_session(common, walk_lists[0])
    weekend = _target_weekend(common, walk_lists[-1], anytown, organiser)
    return (
        f"Events: {len(upcoming)} upcoming sessions with sign-ups, a past session with "
        f"{past} checked in, and a target-seat weekend open to Otherton ({weekend}) "
        f"in {time.monotonic() - started:.2f} s."
    )


def _past_session(common: dict[str, Any], walk_list: WalkList) -> int:
    """Last Saturday: shifts already over, so sign-ups are written as they stood, then checked in
    through the service (packs of the walk list whose visits the demo recorded)."""
    day = _saturday(-1)
    event = services.event_create(
        title="Last Saturday's doors",
        starts_at=_at(day, 10, 30),
        ends_at=_at(day, 12, 30),
        **common,
        walk_list=walk_list,
    )
    shift = event.shifts.get()
    packs = list(walk_list.packs.order_by("number")[:4])
    checked = 0
    for n, name in enumerate(NAMES[:5]):
        contact, _ = EventContact.unscoped.get_or_create(
            constituency=event.constituency,
            email=f"{name.split()[0].lower()}@volunteers.demo",
            defaults={
                "name": name,
                "consent_email": True,
                "consent_wording": "Demo sign-up",
                "consent_at": shift.starts_at,
            },
        )
        signup = Signup.unscoped.create(
            shift=shift,
            contact=contact,
            status=Signup.Status.BOOKED,
            booked_at=shift.starts_at,
            status_at=shift.starts_at,
        )
        here = n < 4
        services.signup_check_in(
            user=common["user"],
            signup=signup,
            attendance=Signup.Attendance.ATTENDED if here else Signup.Attendance.NO_SHOW,
            pack=packs[n] if here and n < len(packs) else None,
        )
        checked += here
    return checked


def _target_weekend(
    common: dict[str, Any], walk_list: WalkList, anytown: Constituency, organiser: User
) -> str:
    """Anytown is the target seat: today's day of action and next weekend's, open to Otherton. Vic
    from Otherton signed up with one tap and is checked in today with a pack: the access app's
    visiting rule lets them canvass it until midnight (see Anytown's register of holders)."""
    from members.models import Member, Status

    otherton = Constituency.objects.get(gss_code=OTHERTON_CODE)
    visitor = demo_user(VISITOR_EMAIL, "Vic Visitor")
    member = Member.unscoped.filter(user=visitor).first() or Member.unscoped.create(
        constituency=otherton,
        membership_number="A099101",
        first_name="Vic",
        last_name="Visitor",
        email=VISITOR_EMAIL,
        postcode="OT1 2AB",
        joined_on=timezone.localdate() - datetime.timedelta(days=900),
        status=Status.CURRENT,
        consent_email=True,
        user=visitor,
    )
    now = timezone.localtime()
    today = now.date()
    made = []
    for title, starts_at, ends_at in (
        (
            "Target seat: day of action",
            max(_at(today, 0), now - datetime.timedelta(hours=1)),
            now + datetime.timedelta(hours=3),
        ),
        ("Target seat weekend: Saturday", _at(_saturday(1), 10), _at(_saturday(1), 16)),
        (
            "Target seat weekend: Sunday",
            _at(_saturday(1) + datetime.timedelta(days=1), 11),
            _at(_saturday(1) + datetime.timedelta(days=1), 15),
        ),
    ):
        event = services.event_create(
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            visibility=Event.Visibility.MEMBERS,
            walk_list=walk_list,
            **common,
        )
        services.event_update(user=organiser, event=event, visiting_constituencies=[otherton])
        made.append(services.signup_member(user=visitor, member=member, shift=event.shifts.get()))
    pack = walk_list.packs.order_by("-number").first()
    services.signup_check_in(user=organiser, signup=made[0], attendance=Signup.Attendance.ATTENDED, pack=pack)
    return f"{VISITOR_EMAIL} checked in today with pack {pack.sheet_id if pack else '-'}"


def logins() -> list[tuple[str, str]]:
    return [(VISITOR_EMAIL, "member in Otherton visiting Anytown's target seat: canvasses today's pack")]
