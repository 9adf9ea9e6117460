"""Canvassing URLs for the scoping walker (see tests/test_scoping_walker.py). Every object here is
Anytown's and carries "Anytown" in a personal field."""

import uuid

from campaigns.models import (
    CallEntry,
    CallList,
    Campaign,
    DoorOutcome,
    FollowUp,
    IntentionCode,
    Issue,
    Pack,
    PhoneNumber,
    Relation,
    Survey,
    SyncProblem,
    Visit,
    WalkList,
)
from campaigns.services import canvass_record_visit, sync_problem_log
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory


def _pack(anytown):
    return anytown.once("pack", _make_pack)


def _make_pack(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road")
    ElectorFactory(home=home, surname="Anytownson")
    pack = pack_with_doors(campaign, [home])
    pack.name = "Anytown Road"
    pack.save(update_fields=["name"])
    return pack


def _visit(anytown):
    return anytown.once("visit", _make_visit)


def _make_visit(anytown):
    pack = _pack(anytown)
    canvasser = anytown.user(Role.CANVASSER)
    return canvass_record_visit(
        canvasser=canvasser,
        campaign=pack.campaign,
        elector=pack.doors.get().property.electors.get(),
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        answers={"vi": "L", "issues": ["housing"], "postal": True},
        notes="Anytown voter",
        survey_version=pack.campaign.current_survey_version(),
        pack=pack,
    ).visit


def _phone(anytown):
    return anytown.once("phone", _make_phone)


def _make_phone(anytown):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownson"
    )
    return PhoneNumber.unscoped.create(elector=elector, number="07700900123")


def _call_list(anytown):
    return anytown.once("call_list", _make_call_list)


def _make_call_list(anytown):
    phone = _phone(anytown)
    call_list = CallList.unscoped.create(
        campaign=campaign_with_survey(anytown.constituency), name="Anytown calls", entry_count=2
    )
    CallEntry.unscoped.create(call_list=call_list, elector=phone.elector, phone=phone, position=1)
    # A second entry, still to call: `call_next` has one to hand out (the first is claimed by `_call`).
    second = PhoneNumber.unscoped.create(
        elector=ElectorFactory(
            home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownsdottir"
        ),
        number="07700900124",
    )
    CallEntry.unscoped.create(call_list=call_list, elector=second.elector, phone=second, position=2)
    return call_list


def _call(anytown):
    return anytown.once("call", _make_call)


def _make_call(anytown):
    entry = _call_list(anytown).entries.get(position=1)
    entry.status, entry.claimed_by = CallEntry.Status.CLAIMED, anytown.user(Role.CANVASSER)
    entry.save(update_fields=["status", "claimed_by"])
    return entry


def _relation(anytown):
    return anytown.once("relation", _make_relation)


def _make_relation(anytown):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownson"
    )
    return Relation.unscoped.create(owner=anytown.user(Role.CANVASSER), elector=elector, kind="friend")


def _campaign_id(anytown):
    return {"pk": _visit(anytown).campaign_id}


def _no_kwargs(anytown):
    return {}


URLS = {
    "campaigns:index": _no_kwargs,
    "campaigns:service_worker": _no_kwargs,
    "campaigns:sync": _no_kwargs,
    "campaigns:ping": _no_kwargs,
    "campaigns:campaign_create": _no_kwargs,
    "campaigns:relations": _no_kwargs,
    "campaigns:campaign": _campaign_id,
    "campaigns:survey_edit": _campaign_id,
    "campaigns:walklist_create": _campaign_id,
    "campaigns:calllist_create": _campaign_id,
    "campaigns:follow_ups": _campaign_id,
    "campaigns:visits": _campaign_id,
    "campaigns:report": _campaign_id,
    "campaigns:report_csv": _campaign_id,
    "campaigns:issues": _campaign_id,
    "campaigns:issues_csv": _campaign_id,
    "campaigns:paper_entry": _campaign_id,
    "campaigns:walklist": lambda anytown: {"pk": _pack(anytown).walk_list_id},
    "campaigns:pack_shared": lambda anytown: {"token": _pack(anytown).share_token},
    "campaigns:pack_canvass": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_data": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_today": lambda anytown: {"pk": _visit(anytown).pack_id},
    "campaigns:pack_assign": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_print": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:pack_map": lambda anytown: {"pk": _pack(anytown).pk},
    "campaigns:visit_void": lambda anytown: {"pk": _visit(anytown).pk},
    "campaigns:calllist": lambda anytown: {"pk": _call_list(anytown).pk},
    "campaigns:call_next": lambda anytown: {"pk": _call_list(anytown).pk},
    "campaigns:call": lambda anytown: {"pk": _call(anytown).pk},
    "campaigns:relation_remove": lambda anytown: {"pk": _relation(anytown).pk},
    "campaigns:relation_contact": lambda anytown: {"pk": _relation(anytown).pk},
    "campaigns-campaign-list": _no_kwargs,
    "campaigns-campaign-detail": lambda anytown: {"pk": _visit(anytown).campaign_id},
    "campaigns-visit-list": _no_kwargs,
    "campaigns-visit-detail": lambda anytown: {"pk": _visit(anytown).pk},
}

ADMIN_OBJECTS = {
    IntentionCode: lambda anytown: IntentionCode.objects.get(code="L"),
    DoorOutcome: lambda anytown: DoorOutcome.objects.get(code="spoke"),
    Issue: lambda anytown: Issue.objects.get(code="housing"),
    Campaign: lambda anytown: campaign_with_survey(anytown.constituency),
    Survey: lambda anytown: campaign_with_survey(anytown.constituency).surveys.get(),
    WalkList: lambda anytown: _pack(anytown).walk_list,
    Pack: _pack,
    Visit: _visit,
    SyncProblem: lambda anytown: sync_problem_log(
        kind=SyncProblem.Kind.REFUSED,
        user=anytown.user(Role.CANVASSER),
        constituency=anytown.constituency,
        message="test",
        payload={"notes": "Anytown"},
    ),
    FollowUp: lambda anytown: _visit(anytown).follow_ups.first(),
    CallList: _call_list,
    PhoneNumber: _phone,
    Relation: _relation,
}

# Issue 10, item 12 (tests/labourhub/test_least_privilege.py fetches each as Anytown's own
# canvasser and teller): a canvasser opens only the packs given to them (the packs above are given
# to nobody) and none of the organiser's pages; a teller reaches no canvassing data at all.
_ORGANISER_PAGES = [
    "campaigns:campaign_create",
    "campaigns:campaign",
    "campaigns:survey_edit",
    "campaigns:walklist_create",
    "campaigns:calllist_create",
    "campaigns:follow_ups",
    "campaigns:visits",
    "campaigns:report",
    "campaigns:report_csv",
    "campaigns:issues",
    "campaigns:issues_csv",
    "campaigns:paper_entry",
    "campaigns:walklist",
    "campaigns:pack_assign",
    "campaigns:visit_void",
    "campaigns-campaign-detail",
    "campaigns-visit-detail",
]
_PACK_PAGES = [
    "campaigns:pack_canvass",
    "campaigns:pack_data",
    "campaigns:pack_today",
    "campaigns:pack_print",
    "campaigns:pack_map",
]
DENIED_TO = {
    Role.CANVASSER: _ORGANISER_PAGES + _PACK_PAGES,
    Role.TELLER: _ORGANISER_PAGES
    + _PACK_PAGES
    + [
        "campaigns:pack_shared",
        "campaigns:relations",
        "campaigns:relation_remove",
        "campaigns:relation_contact",
        "campaigns:calllist",
        "campaigns:call_next",
        "campaigns:call",
    ],
}


def _sync_batch(anytown):
    """One doorstep answer for Anytown's pack and elector, as a phone sends it."""
    pack = _pack(anytown)
    return {
        "answers": [
            {
                "uuid": "6f1c1e9e-0000-4000-8000-00000000a11c",
                "pack": pack.pk,
                "elector": pack.doors.get().property.electors.get().pk,
                "outcome": "spoke",
                "survey_version": pack.campaign.current_survey_version().pk,
                "answers": {"vi": "L"},
                "notes": "Walker's note",
                "recorded_at": "2026-11-01T10:00:00Z",
            }
        ]
    }


BODIES = {"campaigns:sync": _sync_batch}
# Pages of a canvasser's own: opened first by Anytown's canvasser.
OWNERS = dict.fromkeys(
    [
        "campaigns:call",
        "campaigns:relations",
        "campaigns:relation_remove",
        "campaigns:relation_contact",
        "campaigns-visit-list",
        "campaigns-visit-detail",
    ],
    Role.CANVASSER,
)
_REFERENCE = "reference codes, the same for every CLP"
NO_CANARY = {
    "campaigns:service_worker": "the offline page's service worker: a static script",
    "campaigns:ping": "the server's time",
    "campaigns:pack_shared": "redirects a pack's own canvassers to the pack's page, which is walked itself",
    "campaigns:pack_canvass": "the offline page's shell: the doors come from campaigns:pack_data, walked",
    "campaigns-visit-list": "ids and codes only: a leak here shows no name (gap: see the walker's notes)",
    "campaigns-visit-detail": "ids and codes only: a leak here shows no name (gap: see the walker's notes)",
    "admin:campaigns_phonenumber_add": "an empty form",
    "campaigns:pack_today": "ids and codes of the pack's visits today, no names",
} | {
    f"admin:campaigns_{model}_{view}": _REFERENCE
    for model in ("intentioncode", "dooroutcome", "issue")
    for view in ("changelist", "add", "change", "delete", "history")
}


# --- Events (issue 17) -------------------------------------------------------------------------


def _event(anytown):
    return anytown.once("event", _make_event)


def _make_event(anytown):
    """A members-only session (so its link opens for nobody outside Anytown), with a booking."""
    from campaigns.models import Event, Signup
    from tests.campaigns.event_factories import booked, event_with_shift

    event, shift = event_with_shift(
        anytown.constituency, title="Anytown doors", visibility=Event.Visibility.MEMBERS
    )
    booked(shift, name="Anytown Volunteer", email="volunteer@anytown.example")
    booked(shift, name="Anytown Waiter", email="waiter@anytown.example", status=Signup.Status.WAITING)
    return event


def _bearer_signup(anytown):
    return anytown.once("bearer_signup", _make_bearer_signup)


def _make_bearer_signup(anytown):
    """The booking behind the links in one person's own emails. Whoever holds such a link sees that
    booking (that is what it is for), so this one carries no word of Anytown: the walk still checks
    that nothing else shows and nothing breaks; tests/campaigns/test_events.py and
    test_event_reminders.py check what the holder may do."""
    from tests.campaigns.event_factories import booked, event_with_shift

    _, shift = event_with_shift(
        anytown.constituency, title="Saturday doors", meeting_area="By the station", meeting_point="1 High St"
    )
    return booked(shift, name="Sam Bearer", email="sam@bearer.example")


def _member_owner(anytown):
    """Anytown's canvasser, with a membership record: the one-tap sign-up is a member's."""
    from members.models import Member
    from tests.members.factories import MemberFactory

    user = anytown.user(Role.CANVASSER)
    if not Member.unscoped.filter(user=user).exists():
        MemberFactory(constituency=anytown.constituency, user=user, email="canvasser@anytown.example")
    return user


def _event_pk(anytown):
    return {"pk": _event(anytown).pk}


def _event_token(anytown):
    return {"token": _event(anytown).token}


def _link_token(anytown):
    from campaigns import events

    return {"token": events.link_token(_bearer_signup(anytown), "confirm")}


URLS |= {
    "campaigns:events": _no_kwargs,
    "campaigns:event_create": _no_kwargs,
    "campaigns:event": _event_pk,
    "campaigns:event_edit": _event_pk,
    "campaigns:event_cancel": _event_pk,
    "campaigns:event_repeat": _event_pk,
    "campaigns:shift_add": _event_pk,
    "campaigns:event_check_in": _event_pk,
    "campaigns:event_invite": _event_pk,
    "campaigns:shift_edit": lambda anytown: {"pk": _event(anytown).shifts.get().pk},
    "campaigns:member_signup": lambda anytown: {"pk": _event(anytown).shifts.get().pk},
    # The waiting one: the decision form's first choice (book) changes it.
    "campaigns:signup_decide": lambda anytown: {
        "pk": _event(anytown).shifts.get().signups.get(status="waiting").pk
    },
    "campaigns:event_public": _event_token,
    "campaigns:event_ics": _event_token,
    "campaigns:signup": lambda anytown: {"token": _bearer_signup(anytown).token},
    "campaigns:signup_ics": lambda anytown: {"token": _bearer_signup(anytown).token},
    "campaigns:event_link": _link_token,
    # The events reports (rota17): Anytown's event (its title) is on them for its organisers.
    "campaigns:event_reports": lambda anytown: (_event(anytown), {})[1],
    "campaigns:event_reports_csv": lambda anytown: (_event(anytown), {})[1],
}


def _asked_of_anytown(anytown):
    return anytown.once("asked_of_anytown", _make_asked_of_anytown)


def _make_asked_of_anytown(anytown):
    """A request from a neighbouring CLP's event to Anytown (mutual aid, issue 17 item 2): Anytown's
    secretary answers it; it names Anytown, and nobody of another CLP may read or answer it."""
    from campaigns.models import EventInvitation
    from tests.campaigns.event_factories import event_with_shift
    from tests.factories import ConstituencyFactory

    neighbour = ConstituencyFactory(
        name="Neighbourton", gss_code="E14000999", region=anytown.constituency.region
    )
    event, _ = event_with_shift(neighbour, title="Target seat Saturday", meeting_point="1 High St")
    event.visiting_constituencies.set([anytown.constituency])
    return EventInvitation.unscoped.create(
        event=event, constituency=anytown.constituency, state="asked", subject="Join us", body="Hello"
    )


URLS["campaigns:invitation_requests"] = lambda anytown: (_asked_of_anytown(anytown), {})[1]
OWNERS["campaigns:member_signup"] = _member_owner
NO_CANARY |= {
    "campaigns:member_signup": "POST only: books the signed-in member and redirects to the booking's own link",
    "campaigns:signup": "a bearer link in one person's own emails (see _make_bearer_signup)",
    "campaigns:signup_ics": "a bearer link in one person's own emails (see _make_bearer_signup)",
    "campaigns:event_link": "a signed link in one person's own reminder (see _make_bearer_signup)",
}
# The links in a person's own emails: holding one lets you confirm or cancel that booking.
CAPABILITIES = {
    "campaigns:signup": "the booking's own link, in the person's confirmation email: cancels it",
    "campaigns:event_link": "the signed confirm/cancel link in the person's day-before reminder",
}
_EVENT_ORGANISER_PAGES = [
    "campaigns:events",
    "campaigns:event_create",
    "campaigns:event",
    "campaigns:event_edit",
    "campaigns:event_cancel",
    "campaigns:event_repeat",
    "campaigns:shift_add",
    "campaigns:event_check_in",
    "campaigns:event_invite",
    "campaigns:shift_edit",
    "campaigns:signup_decide",
    "campaigns:event_reports",
    "campaigns:event_reports_csv",
    "campaigns:invitation_requests",
]
for _names in DENIED_TO.values():
    _names.extend(_EVENT_ORGANISER_PAGES)
