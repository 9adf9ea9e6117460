"""Events, write side: organising events and shifts, sign-ups and bookings, the waiting list,
check-in, and the reminder sequence (each message claimed once, then sent). Keyword-only
`<entity>_<action>` functions, one transaction each; tasks are queued on commit."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from campaigns import events, events_privacy
from campaigns.models import Event, EventContact, EventInvitation, EventMessage, Pack, Shift, Signup
from campaigns.webhooks import signup_emit
from labourhub.scoping import Action, can, require
from labourhub.services import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from labourhub.models import Constituency, User
    from members.models import Member

EVENT_FIELDS = (
    "kind",
    "title",
    "description",
    "meeting_area",
    "meeting_point",
    "accessibility",
    "contact",
    "visibility",
    "capacity",
    "needs_approval",
    "walk_list",
    "call_list",
)
# A change to one of these tells everyone booked.
PLACE_FIELDS = ("meeting_area", "meeting_point")
SOURCE_EVENT_SIGNUP = "event sign-up"
SOURCE_MEMBER_PAGE = "member page"


def _queue(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: task.delay(*args))


def _check_lists(*, constituency: Constituency, fields: dict[str, Any]) -> None:
    """A walk list or call list must be the event's CLP's own."""
    for name in ("walk_list", "call_list"):
        chosen = fields.get(name)
        if chosen is not None and chosen.campaign.constituency_id != constituency.pk:
            raise ValidationError(f"The {name.replace('_', ' ')} belongs to another CLP.")


def _set_visitors(event: Event, fields: dict[str, Any]) -> bool:
    """Open the event to members of other CLPs (by region, by CLP); True if that changed."""
    changed = False
    for name in ("visiting_regions", "visiting_constituencies"):
        if name in fields:
            chosen = {obj.pk for obj in fields[name] or []}
            if name == "visiting_constituencies":
                chosen.discard(event.constituency_id)
            related = getattr(event, name)
            if chosen != set(related.values_list("pk", flat=True)):
                related.set(chosen)
                changed = True
    return changed


def _check_shift_times(starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError("A shift must end after it starts.")


# --- Organising ---------------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    user: User,
    constituency: Constituency,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    role: str = "",
    minimum: int = 1,
    maximum: int | None = None,
    **fields: Any,
) -> Event:
    """An event with its first shift."""
    _check_lists(constituency=constituency, fields=fields)
    _check_shift_times(starts_at, ends_at)
    event = Event.unscoped.create(
        constituency=constituency, created_by=user, **{k: v for k, v in fields.items() if k in EVENT_FIELDS}
    )
    _set_visitors(event, fields)
    Shift.unscoped.create(
        event=event, starts_at=starts_at, ends_at=ends_at, role=role, minimum=minimum, maximum=maximum
    )
    audit_record(action="event.create", user=user, obj=event)
    return event


@transaction.atomic
def event_update(*, user: User, event: Event, **fields: Any) -> Event:
    """Change an event; a change of place tells everyone booked (once per change)."""
    _check_lists(constituency=event.constituency, fields=fields)
    changed = [name for name in EVENT_FIELDS if name in fields and getattr(event, name) != fields[name]]
    for name in changed:
        setattr(event, name, fields[name])
    place_changed = any(name in PLACE_FIELDS for name in changed)
    if place_changed:
        event.revision += 1
        changed.append("revision")
    if _set_visitors(event, fields):
        changed.append("visitors")
    if changed:
        event.save(update_fields=[name for name in changed if name != "visitors"])
        audit_record(action="event.update", user=user, obj=event, detail={"changed": changed})
    if place_changed:
        _notify_booked(event=event, kind=EventMessage.Kind.CHANGED)
    return event


@transaction.atomic
def shift_save(
    *,
    user: User,
    event: Event,
    shift: Shift | None = None,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    role: str = "",
    minimum: int = 1,
    maximum: int | None = None,
) -> Shift:
    """Add a shift, or change one; a change of time tells everyone booked. A raised maximum books
    people from the waiting list in order."""
    _check_shift_times(starts_at, ends_at)
    if maximum is not None and maximum < minimum:
        raise ValidationError("The maximum cannot be under the minimum.")
    if shift is None:
        shift = Shift.unscoped.create(
            event=event, starts_at=starts_at, ends_at=ends_at, role=role, minimum=minimum, maximum=maximum
        )
        audit_record(action="event.shift_add", user=user, obj=event)
        return shift
    shift = Shift.unscoped.select_for_update().get(pk=shift.pk, event=event)
    time_changed = (shift.starts_at, shift.ends_at) != (starts_at, ends_at)
    shift.starts_at, shift.ends_at, shift.role, shift.minimum, shift.maximum = (
        starts_at,
        ends_at,
        role,
        minimum,
        maximum,
    )
    shift.save(update_fields=["starts_at", "ends_at", "role", "minimum", "maximum"])
    audit_record(action="event.shift_change", user=user, obj=event)
    if time_changed:
        Event.unscoped.filter(pk=event.pk).update(revision=F("revision") + 1)
        event.refresh_from_db(fields=["revision"])
        _notify_booked(event=event, kind=EventMessage.Kind.CHANGED)
    _promote_waiting(shift=shift)
    return shift


@transaction.atomic
def event_cancel(*, user: User, event: Event) -> Event:
    """Cancel an event: everyone booked (or waiting) is told; nothing more is sent about it."""
    if event.status == Event.Status.CANCELLED:
        return event
    event.status = Event.Status.CANCELLED
    event.revision += 1
    event.save(update_fields=["status", "revision"])
    audit_record(action="event.cancel", user=user, obj=event)
    _notify_booked(event=event, kind=EventMessage.Kind.CANCELLED)
    return event


@transaction.atomic
def event_repeat(*, user: User, event: Event, every_days: int = 7, count: int) -> list[Event]:
    """A recurring session ("every Saturday at 10:30"): the next `count` occurrences, each a copy of
    `event` with its shifts `every_days` later than the one before, in one series."""
    if not 1 <= count <= 52:
        raise ValidationError("Make between 1 and 52 occurrences at a time.")
    if not 1 <= every_days <= 31:
        raise ValidationError("Repeat every 1 to 31 days.")
    if event.series is None:
        event.series = uuid.uuid4()
        event.save(update_fields=["series"])
    shifts = list(event.shifts.all())
    if not shifts:
        raise ValidationError("The event has no shift to repeat.")
    made = []
    for number in range(1, count + 1):
        step = datetime.timedelta(days=every_days * number)
        copy = Event.unscoped.create(
            constituency=event.constituency,
            created_by=user,
            series=event.series,
            **{name: getattr(event, name) for name in EVENT_FIELDS},
        )
        Shift.unscoped.bulk_create(
            [
                Shift(
                    event=copy,
                    # Wall-clock time kept across a change to or from summer time.
                    starts_at=_same_local_time(shift.starts_at, step),
                    ends_at=_same_local_time(shift.ends_at, step),
                    role=shift.role,
                    minimum=shift.minimum,
                    maximum=shift.maximum,
                )
                for shift in shifts
            ]
        )
        made.append(copy)
    audit_record(
        action="event.repeat", user=user, obj=event, detail={"count": count, "every_days": every_days}
    )
    return made


def _same_local_time(at: datetime.datetime, step: datetime.timedelta) -> datetime.datetime:
    local = timezone.localtime(at)
    return timezone.make_aware(datetime.datetime.combine(local.date() + step, local.time()))


# --- Signing up ---------------------------------------------------------------------------------


def _contact_for(
    *,
    constituency: Constituency,
    name: str,
    email: str,
    phone: str,
    consent_email: bool,
    consent_sms: bool,
    wording: str,
    member: Member | None = None,
    source: str = SOURCE_EVENT_SIGNUP,
) -> EventContact:
    """The CLP's contact for this email: matched to a member of the CLP with that address (matched,
    not duplicated), or a new contact with its source recorded. A repeat sign-up keeps the contact
    and records the latest consent, but only fills a name or phone that is missing: the public form
    proves no one owns the address, so it may not rewrite who the contact is."""
    from members.models import Member

    email = email.strip()
    contact = (
        EventContact.unscoped.select_for_update()
        .filter(constituency=constituency, email__iexact=email)
        .first()
    )
    if member is None:
        member = (
            Member.unscoped.filter(constituency=constituency, email__iexact=email).order_by("pk").first()
            if email
            else None
        )
    now = timezone.now()
    if contact is None:
        try:
            with transaction.atomic():
                return EventContact.unscoped.create(
                    constituency=constituency,
                    name=name,
                    email=email,
                    phone=phone,
                    member=member,
                    source=source,
                    consent_email=consent_email,
                    consent_sms=consent_sms,
                    consent_wording=wording,
                    consent_at=now,
                )
        except IntegrityError:  # the same address signing up twice at once
            contact = EventContact.unscoped.select_for_update().get(
                constituency=constituency, email__iexact=email
            )
    contact.name, contact.phone = contact.name or name, contact.phone or phone
    contact.member = contact.member or member
    contact.consent_email, contact.consent_sms = consent_email, consent_sms
    contact.consent_wording, contact.consent_at = wording, now
    contact.save(
        update_fields=[
            "name",
            "phone",
            "member",
            "consent_email",
            "consent_sms",
            "consent_wording",
            "consent_at",
        ]
    )
    return contact


def _places_left(shift: Shift) -> bool:
    booked_here = shift.signups.filter(status=Signup.Status.BOOKED).count()
    if shift.maximum is not None and booked_here >= shift.maximum:
        return False
    event = shift.event
    if event.capacity is not None:
        booked_in_event = Signup.unscoped.filter(shift__event=event, status=Signup.Status.BOOKED).count()
        if booked_in_event >= event.capacity:
            return False
    return True


def _lock_shift(shift: Shift) -> Shift:
    """Bookings on one event are made one at a time (the event row locked), so a place is never
    given twice."""
    Event.unscoped.select_for_update().filter(pk=shift.event_id).first()
    return Shift.unscoped.select_related("event__constituency").get(pk=shift.pk)


def _set_status(signup: Signup, status: str, *, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    signup.status, signup.status_at = status, now
    fields = ["status", "status_at"]
    if status == Signup.Status.BOOKED:
        signup.booked_at = now
        fields.append("booked_at")
    signup.save(update_fields=fields)


@transaction.atomic
def event_signup(
    *,
    event: Event,
    shift: Shift,
    name: str,
    email: str,
    phone: str = "",
    consent_email: bool,
    consent_sms: bool = False,
    wording: str,
    member: Member | None = None,
    source: str = SOURCE_EVENT_SIGNUP,
) -> Signup | None:
    """Someone signs up to a shift. Booked at once if there is a place and the organiser books
    automatically; otherwise waiting for the organiser, or on the waiting list. A confirmation
    goes out at once (by the worker). None, with nothing stored or sent, when an erasure tombstone
    covers them (campaigns/events_privacy.py)."""
    if shift.event_id != event.pk:
        raise ValidationError("That shift is not part of this event.")
    if event.status != Event.Status.PLANNED:
        raise ValidationError("This event has been cancelled.")
    if shift.ends_at <= timezone.now():
        raise ValidationError("This shift is over.")
    if not consent_email:
        raise ValidationError("Tick the box to get emails about this event: we need it to send your booking.")
    if member is None and events_privacy.signup_caught(event=event, name=name, email=email, how="sign-up"):
        return None
    shift = _lock_shift(shift)
    contact = _contact_for(
        constituency=event.constituency,
        name=name,
        email=email,
        phone=phone,
        consent_email=consent_email,
        consent_sms=consent_sms,
        wording=wording,
        member=member,
        source=source,
    )
    signup = Signup.unscoped.filter(shift=shift, contact=contact).first()
    if signup is not None and signup.status in (
        Signup.Status.BOOKED,
        Signup.Status.WAITING,
        Signup.Status.REQUESTED,
    ):
        return signup  # signed up already: nothing new, nothing sent again
    if signup is None:
        signup = Signup.unscoped.create(shift=shift, contact=contact)
    if event.needs_approval:
        status = Signup.Status.REQUESTED
    else:
        status = Signup.Status.BOOKED if _places_left(shift) else Signup.Status.WAITING
    _set_status(signup, status)
    audit_record(action="event.signup", obj=signup, detail={"status": status, "source": contact.source})
    signup_emit(signup)  # webhooks (campaigns/webhooks.py)
    _send_later(signup, EventMessage.Kind.CONFIRMATION, ref=_next_ref(signup, EventMessage.Kind.CONFIRMATION))
    return signup


def _next_ref(signup: Signup, kind: str) -> int:
    """Confirmations are sent once per sign-up; signing up again after cancelling is a new one."""
    return EventMessage.unscoped.filter(signup=signup, kind=kind).count()


def signup_member(*, user: User, member: Member, shift: Shift) -> Signup:
    """One tap from the member's own page: their details and their email consent as held."""
    signup = event_signup(
        event=shift.event,
        shift=shift,
        name=member.full_name,
        email=member.email,
        phone=member.mobile or member.phone,
        consent_email=True,
        consent_sms=False,
        wording="Signed up from their member page: emails about this event.",
        member=member,
        source=SOURCE_MEMBER_PAGE,
    )
    if signup is None:  # not reached: a member's own sign-up is not checked against the tombstones
        raise ValidationError(events_privacy.SIGNUP_NOT_TAKEN)
    return signup


# --- The organiser's decisions ---------------------------------------------------------------


@transaction.atomic
def signup_book(*, user: User, signup: Signup) -> Signup:
    shift = _lock_shift(signup.shift)
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    if signup.status == Signup.Status.BOOKED:
        return signup
    if not _places_left(shift):
        raise ValidationError("The shift is full: raise its maximum, or put them on the waiting list.")
    _set_status(signup, Signup.Status.BOOKED)
    audit_record(action="event.book", user=user, obj=signup)
    _send_later(signup, EventMessage.Kind.BOOKED, ref=_next_ref(signup, EventMessage.Kind.BOOKED))
    return signup


@transaction.atomic
def signup_wait(*, user: User, signup: Signup) -> Signup:
    shift = _lock_shift(signup.shift)
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    was_booked = signup.status == Signup.Status.BOOKED
    _set_status(signup, Signup.Status.WAITING)
    audit_record(action="event.wait", user=user, obj=signup)
    if was_booked:
        _promote_waiting(shift=shift, skip=signup)
    return signup


@transaction.atomic
def signup_decline(*, user: User, signup: Signup) -> Signup:
    shift = _lock_shift(signup.shift)
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    was_booked = signup.status == Signup.Status.BOOKED
    _set_status(signup, Signup.Status.DECLINED)
    audit_record(action="event.decline", user=user, obj=signup)
    if was_booked:
        _promote_waiting(shift=shift)
    return signup


@transaction.atomic
def signup_move(*, user: User, signup: Signup, to: Shift) -> Signup:
    """Move a sign-up to another shift of the same event: booked there if it has a place, else
    waiting; the place it leaves goes to the first on that shift's waiting list."""
    if to.event_id != signup.shift.event_id:
        raise ValidationError("Move only to another shift of the same event.")
    if to.pk == signup.shift_id:
        return signup
    old = _lock_shift(signup.shift)
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    if Signup.unscoped.filter(shift=to, contact_id=signup.contact_id).exists():
        raise ValidationError("They are already signed up to that shift.")
    was_booked = signup.status == Signup.Status.BOOKED
    signup.shift = to
    signup.save(update_fields=["shift"])
    to = Shift.unscoped.select_related("event").get(pk=to.pk)
    _set_status(signup, Signup.Status.BOOKED if _places_left_besides(to, signup) else Signup.Status.WAITING)
    audit_record(action="event.move", user=user, obj=signup, detail={"from": old.pk, "to": to.pk})
    if was_booked:
        _promote_waiting(shift=old)
    if signup.status == Signup.Status.BOOKED:
        _send_later(signup, EventMessage.Kind.BOOKED, ref=_next_ref(signup, EventMessage.Kind.BOOKED))
    return signup


def _places_left_besides(shift: Shift, signup: Signup) -> bool:
    Signup.unscoped.filter(pk=signup.pk).update(status=Signup.Status.REQUESTED)
    return _places_left(shift)


@transaction.atomic
def signup_cancel(*, signup: Signup, user: User | None = None) -> Signup:
    """The person cancels (from a reminder's link) or the organiser does for them: nothing more is
    sent to them, and their place goes to the first on the waiting list."""
    shift = _lock_shift(signup.shift)
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    if signup.status == Signup.Status.CANCELLED:
        return signup
    was_booked = signup.status == Signup.Status.BOOKED
    _set_status(signup, Signup.Status.CANCELLED)
    audit_record(action="event.cancel_signup", user=user, obj=signup)
    if was_booked:
        _promote_waiting(shift=shift)
    return signup


@transaction.atomic
def signup_confirm(*, signup: Signup) -> Signup:
    """The person confirms they are coming (the day-before reminder's link)."""
    signup = Signup.unscoped.select_for_update().get(pk=signup.pk)
    if signup.status != Signup.Status.BOOKED:
        raise ValidationError(
            "This booking is no longer open: it was cancelled or moved to the waiting list."
        )
    if signup.confirmed_at is None:
        signup.confirmed_at = timezone.now()
        signup.save(update_fields=["confirmed_at"])
        audit_record(action="event.confirm", obj=signup)
    return signup


def _promote_waiting(*, shift: Shift, skip: Signup | None = None) -> list[Signup]:
    """Fill free places from the waiting list, first come first served (call inside the lock)."""
    promoted = []
    waiting = Signup.unscoped.filter(shift=shift).waiting()
    if skip is not None:
        waiting = waiting.exclude(pk=skip.pk)
    for signup in waiting.select_for_update():
        if not _places_left(shift):
            break
        _set_status(signup, Signup.Status.BOOKED)
        audit_record(action="event.promote", obj=signup)
        _send_later(signup, EventMessage.Kind.BOOKED, ref=_next_ref(signup, EventMessage.Kind.BOOKED))
        promoted.append(signup)
    return promoted


# --- Invitations ----------------------------------------------------------------------------


def invitation_text(event: Event) -> tuple[str, str]:
    """The default subject and body of an invitation: what, when, where, and the sign-up link."""
    first = event.shifts.order_by("starts_at").first()
    when = f" on {timezone.localtime(first.starts_at):%A %-d %B at %H:%M}" if first else ""
    where = f", meeting {event.meeting_area}" if event.meeting_area else ""
    link = events.absolute(reverse("campaigns:event_public", args=[event.token]))
    return (
        f"Join us: {event.title}",
        f"Hello {{{{first_name}}}},\n\n{event.get_kind_display()}: **{event.title}**{when}{where}.\n\n"
        f"Sign up (it takes a minute): {link}\n",
    )


@transaction.atomic
def event_invite(
    *, user: User, event: Event, audience: dict[str, Any], subject: str, body: str, frequency_cap: int
) -> Any:
    """Invite a filtered audience of the CLP's members and volunteers: a draft of the member email
    engine (its audience, weekly cap, count, confirmation and sending), returned for the sender to
    confirm on its page. Raises members.email_content.ContentError for bad merge fields."""
    from members.services import email_send_save

    send = email_send_save(
        constituency=event.constituency,
        user=user,
        subject=subject,
        body=body,
        audience=audience,
        frequency_cap=frequency_cap,
    )
    EventInvitation.unscoped.create(
        event=event, constituency=event.constituency, send=send, subject=subject, body=body, asked_by=user
    )
    audit_record(action="event.invite", user=user, obj=event, detail={"email": send.pk, "audience": audience})
    return send


def visiting_clps(event: Event) -> list[Constituency]:
    """The other CLPs an event is open to: named, and every CLP of the regions named."""
    from labourhub.models import Constituency

    return list(
        Constituency.objects.filter(
            Q(pk__in=event.visiting_constituencies.values("pk")) | Q(region__in=event.visiting_regions.all())
        )
        .exclude(pk=event.constituency_id)
        .order_by("name")
    )


@transaction.atomic
def event_invite_ask(*, user: User, event: Event, subject: str, body: str) -> list[EventInvitation]:
    """Ask each CLP the event is open to (issue 17 item 2, mutual aid) to invite its volunteers
    "willing to help other CLPs". Nothing of theirs is read here: each request waits for that CLP's
    secretary, who sends it as their own CLP's email to their own members (event_invitation_decide);
    this CLP sees the counts, and a person only once they sign up. A CLP already asked and not yet
    answering is not asked twice."""
    from members import email_content

    if event.status != Event.Status.PLANNED:
        raise ValidationError("This event has been cancelled.")
    email_content.check(subject=subject, body=body)
    asked = []
    for constituency in visiting_clps(event):
        if EventInvitation.unscoped.filter(
            event=event, constituency=constituency, state=EventInvitation.State.ASKED
        ).exists():
            continue
        asked.append(
            EventInvitation.unscoped.create(
                event=event,
                constituency=constituency,
                state=EventInvitation.State.ASKED,
                subject=subject,
                body=body,
                asked_by=user,
            )
        )
    if not asked and not visiting_clps(event):
        raise ValidationError("Open the event to other CLPs first (on its form), then ask them.")
    for invitation in asked:
        _tell_the_secretary(event, invitation.constituency)
    audit_record(
        action="event.invite_ask", user=user, obj=event, detail={"asked": [i.constituency_id for i in asked]}
    )
    return asked


def _tell_the_secretary(event: Event, constituency: Constituency) -> None:
    """Email the asked CLP's secretaries (their officers see the request counted on their home page)."""
    from access.services import notify_by_email
    from labourhub.models import Grant, Role, User

    secretaries = User.objects.filter(
        is_active=True,
        grants__in=Grant.objects.active().filter(constituency=constituency, role=Role.CLP_SECRETARY),
    ).distinct()
    notify_by_email(
        secretaries,
        f"{event.constituency} asks you to invite your volunteers to {event.title}",
        f"{event.constituency} CLP asks {constituency} CLP to invite its members who are willing to help "
        f"other CLPs to {event.title}. Nothing is sent unless you approve: you then check who it reaches "
        "and send it as your own CLP's email. They never see your members' names unless someone signs up.",
        reverse("campaigns:invitation_requests"),
    )


@transaction.atomic
def event_invitation_decide(*, user: User, invitation: EventInvitation, approve: bool) -> EventInvitation:
    """The asked CLP's secretary answers a request from another CLP. Approved, it becomes a draft
    email of the asked CLP to its own volunteers willing to help other CLPs (the member email
    engine: its count, weekly cap and "send to N?" before anything goes); declined, nothing is
    sent. Either way the asking CLP learns only the answer (and later the counts)."""
    from members.services import email_send_save

    require(user, Action.MANAGE_MEMBERS, invitation.constituency)
    invitation = EventInvitation.unscoped.select_for_update().select_related("event").get(pk=invitation.pk)
    if invitation.state != EventInvitation.State.ASKED:
        raise ValidationError("This request has been answered already.")
    if approve:
        event = invitation.event
        if event.status != Event.Status.PLANNED:
            raise ValidationError("The event has been cancelled.")
        if (
            not Event.unscoped.filter(pk=event.pk)
            .filter(
                events.open_to_visitors_from(invitation.constituency_id, invitation.constituency.region_id)
            )
            .exists()
        ):
            raise ValidationError("The event is no longer open to your CLP's members.")
        invitation.send = email_send_save(
            constituency=invitation.constituency,
            user=user,
            subject=invitation.subject,
            body=invitation.body,
            audience={"help_other_clps": "on"},
            frequency_cap=3,
        )
    invitation.state = EventInvitation.State.DRAFTED if approve else EventInvitation.State.DECLINED
    invitation.decided_by, invitation.decided_at = user, timezone.now()
    invitation.save(update_fields=["send", "state", "decided_by", "decided_at"])
    audit_record(
        action="event.invite_decide",
        user=user,
        obj=invitation,
        constituency=invitation.constituency,
        detail={"approve": approve, "event": invitation.event_id},
    )
    return invitation


# --- Check-in ---------------------------------------------------------------------------------


@transaction.atomic
def signup_check_in(*, user: User, signup: Signup, attendance: str, pack: Pack | None = None) -> Signup:
    """Attended, no-show, or back to not checked in; a pack of the event's walk list handed out.
    `signup.handed_note` says, when a handed pack will not open on the person's phone, why and what
    to do (the printed sheet): the check-in and the pack are recorded all the same."""
    if attendance not in Signup.Attendance.values:
        raise ValidationError(f"Unknown attendance {attendance!r}.")
    signup = Signup.unscoped.select_for_update().select_related("shift__event").get(pk=signup.pk)
    if signup.status not in (Signup.Status.BOOKED,) and attendance != Signup.Attendance.WALK_IN:
        raise ValidationError("Only people booked are checked in: book them first, or add a walk-in.")
    fields = ["attendance"]
    signup.attendance = attendance
    handed_before = signup.pack
    if pack is not None:
        if pack.walk_list_id != signup.shift.event.walk_list_id:
            raise ValidationError("That pack is not from this session's walk list.")
        signup.pack = pack
        fields.append("pack")
    signup.save(update_fields=fields)
    audit_record(action="event.check_in", user=user, obj=signup, detail={"attendance": attendance})
    note = _visitor_access(user=user, signup=signup, handed_before=handed_before, handing=pack is not None)
    signup.handed_note = note  # type: ignore[attr-defined]
    return signup


def _account(signup: Signup) -> User | None:
    """The account of the person signed up: their membership's, else a canvasser of the CLP with the
    contact's email (a pack is given to an account; an unproven email can only reach an account
    that may canvass here anyway)."""
    from campaigns.services import canvassers_for

    member = signup.contact.member
    if member is not None and member.user is not None:
        return member.user
    email = signup.contact.email.strip()
    return (
        canvassers_for(signup.shift.event.constituency).filter(email__iexact=email).first() if email else None
    )


def _visitor_access(
    *, user: User, signup: Signup, handed_before: Pack | None = None, handing: bool = False
) -> str:
    """A pack handed out at check-in opens for the person it was handed to, within what their grant
    allows: a visiting activist (a member of another CLP the session is open to) or a member of the
    CLP with no canvassing role gets the day's grant (access's rule "visiting activist at a
    checked-in session": that pack only, until midnight); a canvasser of the CLP is given the pack,
    as the walk list page gives one. Checked out again (or a no-show), the day's grant ends and the
    pack is taken back. A local person the pack cannot open for (no account, not in good standing)
    keeps it on paper: the note returned tells the organiser to give them the printed sheet."""
    from access.services import AccessError, visiting_grant_end, visiting_grant_give
    from campaigns.services import pack_assign

    signup = Signup.unscoped.select_related(
        "shift__event__constituency__region",
        "contact__member__constituency",
        "contact__member__user",
        "pack__walk_list__campaign__constituency",
    ).get(pk=signup.pk)
    event, member, name = signup.shift.event, signup.contact.member, signup.contact.name
    here = signup.attendance in (Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN)
    account = _account(signup)
    taken_back = [] if handed_before is None or handed_before.pk == signup.pack_id else [handed_before]
    if not here and signup.pack is not None:
        taken_back.append(signup.pack)
    for pack in taken_back:
        if account is not None and pack.assigned_to_id == account.pk:
            pack_assign(pack=pack, canvasser=None, user=user)
    if not here:
        if signup.visitor_grant is not None:
            visiting_grant_end(user=user, grant=signup.visitor_grant, reason="Check-in undone.")
        return ""
    visitor = events.is_visitor(signup)
    if visitor:
        if member is None or event.walk_list_id is None or not events.open_to_visitor(event, member):
            return ""
        if member.user is None:
            raise ValidationError(f"{name} has no account linked to their membership: they cannot be let in.")
        requester, home = member.user, member.constituency
    elif not handing or signup.pack is None:
        return ""
    elif account is None:
        return (
            f"{name} has no LabourHub account, so pack {signup.pack.sheet_id} will not open on their "
            "phone: give them its printed sheet (its answers are keyed in from it)."
        )
    elif can(account, Action.CANVASS, event.constituency):
        if signup.pack.assigned_to_id != account.pk:
            pack_assign(pack=signup.pack, canvasser=account, user=user)
        return ""
    else:
        requester, home = account, event.constituency
    if signup.visitor_grant_id is not None:
        return ""
    starts_at, expires_at = events.visiting_day(signup.shift)
    try:
        holding = visiting_grant_give(
            user=user,
            requester=requester,
            constituency=event.constituency,
            home=home,
            session=f"{event.title}, {timezone.localtime(signup.shift.starts_at):%-d %b %Y %H:%M}",
            starts_at=max(starts_at, timezone.now()),
            expires_at=expires_at,
        )
    except AccessError as error:  # refused with nothing written
        if visitor:
            raise ValidationError(str(error)) from error
        assert signup.pack is not None
        return (
            f"Pack {signup.pack.sheet_id} will not open on {name}'s phone ({error}): give them its "
            "printed sheet."
        )
    signup.visitor_grant = holding.grant
    signup.save(update_fields=["visitor_grant"])
    return ""


@transaction.atomic
def signup_walk_in(*, user: User, shift: Shift, name: str, email: str, phone: str = "") -> Signup | None:
    """Someone who turned up without signing up: booked and checked in at once. None, with nothing
    stored, when an erasure tombstone covers them (campaigns/events_privacy.py)."""
    if events_privacy.signup_caught(event=shift.event, name=name, email=email, how="walk-in", user=user):
        return None
    shift = _lock_shift(shift)
    contact = _contact_for(
        constituency=shift.event.constituency,
        name=name,
        email=email,
        phone=phone,
        consent_email=True,
        consent_sms=False,
        wording="Walked in; agreed to emails about this event at check-in.",
    )
    signup, _ = Signup.unscoped.get_or_create(shift=shift, contact=contact)
    _set_status(signup, Signup.Status.BOOKED)
    signup.attendance = Signup.Attendance.WALK_IN
    signup.save(update_fields=["attendance"])
    audit_record(action="event.walk_in", user=user, obj=signup)
    return signup


# --- Messages ------------------------------------------------------------------------------------


def _send_later(signup: Signup, kind: str, *, ref: int = 0) -> None:
    from campaigns import tasks

    _queue(tasks.event_message_task, signup.pk, kind, ref)


def _notify_booked(*, event: Event, kind: str) -> None:
    from campaigns import tasks

    _queue(tasks.event_notify_task, event.pk, kind, event.revision)


def _claim(*, kind: str, shift: Shift, to: str, signup: Signup | None, ref: int) -> EventMessage | None:
    """The row that says this message is sent (or being sent): None if it already was."""
    try:
        with transaction.atomic():
            return EventMessage.unscoped.create(kind=kind, shift=shift, signup=signup, ref=ref, to=to)
    except IntegrityError:
        return None


def _deliver(message: EventMessage, subject: str, template: str, context: dict[str, Any]) -> None:
    body = render_to_string(template, context)
    try:
        EmailMessage(
            subject=subject, body=body, to=[message.to], from_email=settings.DEFAULT_FROM_EMAIL
        ).send()
    except Exception:
        message.delete()  # not sent: the next sweep (or the task's retry) claims it again
        raise
    message.sent_at = timezone.now()
    message.save(update_fields=["sent_at"])


_SUBJECTS: dict[str, str] = {
    EventMessage.Kind.CONFIRMATION: "You signed up: {title}",
    EventMessage.Kind.BOOKED: "You're booked: {title}",
    EventMessage.Kind.DAY_BEFORE: "Tomorrow: {title}",
    EventMessage.Kind.MORNING: "Today: {title}",
    EventMessage.Kind.CHANGED: "Changed: {title}",
    EventMessage.Kind.CANCELLED: "Cancelled: {title}",
    EventMessage.Kind.THANK_YOU: "Thank you for coming: {title}",
}


def event_message_send(*, signup_id: int, kind: str, ref: int = 0) -> bool:
    """Send one message of the sequence to one person, once. Never to people who cancelled or were
    declined (a cancellation notice goes to those booked, waiting or requested when it happened)."""
    signup = (
        Signup.unscoped.select_related("shift__event__constituency", "contact").filter(pk=signup_id).first()
    )
    if signup is None:
        return False
    if signup.status in (Signup.Status.CANCELLED, Signup.Status.DECLINED):
        return False
    event = signup.shift.event
    if kind in (EventMessage.Kind.BOOKED, EventMessage.Kind.DAY_BEFORE, EventMessage.Kind.MORNING) and (
        signup.status != Signup.Status.BOOKED or event.status != Event.Status.PLANNED
    ):
        return False
    _text(signup, kind, ref)
    if not signup.contact.consent_email or not signup.contact.email:
        return False
    message = _claim(kind=kind, shift=signup.shift, to=signup.contact.email, signup=signup, ref=ref)
    if message is None:
        return False
    booked = signup.status == Signup.Status.BOOKED
    context = {
        "kind": kind,
        "signup": signup,
        "event": event,
        "shift": signup.shift,
        "booked": booked,
        "where": events.where(event, booked),
        "links": events.reminder_links(signup),
        "page": events.absolute(reverse("campaigns:event_public", args=[event.token])),
        "privacy": events.absolute(reverse("privacy_notice", args=[event.constituency.gss_code])),
    }
    _deliver(message, _SUBJECTS[kind].format(title=event.title), "campaigns/events/email.txt", context)
    return True


_TEXTS: dict[str, str] = {
    EventMessage.Kind.CONFIRMATION: "You signed up: {title}, {when}. {page}",
    EventMessage.Kind.BOOKED: "You're booked: {title}, {when}. {page}",
    EventMessage.Kind.DAY_BEFORE: "Tomorrow {time}: {title}. Coming? {confirm} Can't come? {cancel}",
    EventMessage.Kind.MORNING: "Today {time}: {title}. {page}",
    EventMessage.Kind.CHANGED: "Changed: {title}, {when}. Details: {page}",
    EventMessage.Kind.CANCELLED: "Cancelled: {title}, {when}. Sorry!",
    EventMessage.Kind.THANK_YOU: "Thank you for coming to {title}!",
}


def _text(signup: Signup, kind: str, ref: int) -> None:
    """The same message by SMS (labourhub/sms.py) to a booker who ticked the SMS box: planned once
    per sign-up, kind and change (the key), sent by the worker. Nothing when SMS is off."""
    from labourhub import sms

    if not signup.contact.consent_sms or not signup.contact.phone or not sms.sms_enabled():
        return
    shift, event = signup.shift, signup.shift.event
    starts = timezone.localtime(shift.starts_at)
    links = events.reminder_links(signup)
    body = _TEXTS[kind].format(
        title=event.title,
        when=f"{starts:%a %-d %b %H:%M}",
        time=f"{starts:%H:%M}",
        page=events.absolute(reverse("campaigns:signup", args=[signup.token])),
        confirm=links["confirm"],
        cancel=links["cancel"],
    )
    sms.sms_message_queue(
        constituency=event.constituency,
        to=signup.contact.phone,
        body=body + " Reply STOP to stop texts.",
        key=f"event:{signup.pk}:{kind}:{ref}",
    )


def event_notify(*, event_id: int, kind: str, ref: int) -> int:
    """A change or a cancellation, to everyone booked (and waiting) on the event."""
    signups = Signup.unscoped.filter(
        shift__event_id=event_id,
        status__in=[Signup.Status.BOOKED, Signup.Status.WAITING, Signup.Status.REQUESTED],
    ).values_list("pk", flat=True)
    return sum(event_message_send(signup_id=pk, kind=kind, ref=ref) for pk in list(signups))


def event_organiser_ask(*, shift: Shift) -> bool:
    """'Did they make it?': to the event's contact after a shift, with the check-in page."""
    event = shift.event
    if event.contact is None or not event.contact.email:
        return False
    message = _claim(
        kind=EventMessage.Kind.DID_THEY_COME, shift=shift, to=event.contact.email, signup=None, ref=0
    )
    if message is None:
        return False
    context = {
        "event": event,
        "shift": shift,
        "booked": shift.signups.filter(status=Signup.Status.BOOKED).count(),
        "check_in": events.absolute(reverse("campaigns:event_check_in", args=[event.pk])),
    }
    _deliver(message, f"Did they make it? {event.title}", "campaigns/events/email_organiser.txt", context)
    return True


def event_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The beat's sweep: every timed message due now and not yet sent."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    for kind, signups in events.due(now).items():
        sent[kind] = sum(
            event_message_send(signup_id=pk, kind=kind) for pk in list(signups.values_list("pk", flat=True))
        )
    sent[EventMessage.Kind.DID_THEY_COME] = sum(
        event_organiser_ask(shift=shift) for shift in events.shifts_ended(now)
    )
    return sent


def reminder_link_signup(token: str) -> tuple[Signup, str] | None:
    """The sign-up and action a reminder's signed link is for, or None."""
    read = events.read_link_token(token)
    if read is None:
        return None
    pk, action, prefix = read
    signup = Signup.unscoped.select_related("shift__event", "contact").filter(pk=pk).first()
    if signup is None or not signup.token.startswith(prefix):
        return None
    return signup, action


def signup_for_token(token: str) -> Signup | None:
    return Signup.unscoped.select_related("shift__event", "contact").filter(token=token).first()


def member_for(user: User | AnonymousUser) -> Member | None:
    from members.models import Member

    return Member.objects.for_linked_user(user).select_related("constituency").first()


def event_for_token(token: str) -> Event | None:
    """The event an event link is for (the link is the way in; visibility is checked by the caller)."""
    return Event.unscoped.select_related("constituency", "contact").filter(token=token).first()


def shift_for_member(*, member: Member, pk: int) -> Shift | None:
    """A shift a member may sign up to with one tap: their own CLP's, on an event open to members."""
    return (
        Shift.unscoped.select_related("event__constituency")
        .filter(
            Q(event__constituency_id=member.constituency_id) | _visiting(member),
            pk=pk,
            event__visibility__in=[Event.Visibility.PUBLIC, Event.Visibility.MEMBERS],
            event__status=Event.Status.PLANNED,
        )
        .distinct()
        .first()
    )


def _visiting(member: Member) -> Q:
    """Shifts of other CLPs' events open to the member's CLP (mutual aid)."""
    opened = Event.unscoped.filter(
        events.open_to_visitors_from(member.constituency_id, member.constituency.region_id)
    )
    return Q(event__in=opened.values("pk"))


def upcoming_for_member(*, member: Member, limit: int = 5) -> list[tuple[Shift, Signup | None]]:
    """The next shifts of the member's CLP open to members, with the member's own sign-up to each."""
    shifts = list(
        Shift.unscoped.select_related("event")
        .filter(
            Q(event__constituency_id=member.constituency_id) | _visiting(member),
            event__visibility__in=[Event.Visibility.PUBLIC, Event.Visibility.MEMBERS],
            event__status=Event.Status.PLANNED,
            ends_at__gt=timezone.now(),
        )
        .order_by("starts_at")[:limit]
    )
    mine = {
        s.shift_id: s
        for s in Signup.unscoped.filter(shift__in=shifts, contact__member=member).exclude(
            status=Signup.Status.CANCELLED
        )
    }
    return [(shift, mine.get(shift.pk)) for shift in shifts]
