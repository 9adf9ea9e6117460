"""Visiting activists (issue 17, item 5): a member of Otherton signs up to Anytown's canvass session
open to visitors, is checked in, and canvasses the pack handed to them that day and nothing else of
Anytown; after midnight the next request is refused; the public register shows them while it lasts."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessRequest, Decision, Holding, Status
from access.standing import member_constituencies
from campaigns import events
from campaigns.models import Event, PackDoor, Signup
from labourhub.models import AuditEvent, Grant, Role
from labourhub.scoping import Action, constituencies_for
from tests.campaigns.event_factories import event_with_shift
from tests.campaigns.factories import PackFactory, campaign_with_survey, pack_with_doors
from tests.factories import UserFactory
from tests.labourhub.test_least_privilege import REFUSED, _denied
from tests.members.factories import MemberFactory
from tests.voters.factories import ElectorFactory, PropertyFactory

VISITOR_PAGES = [
    "campaigns:pack_canvass",
    "campaigns:pack_data",
    "campaigns:pack_today",
    "campaigns:pack_map",
    "campaigns:pack_print",
]


def _pack(anytown, campaign, walk_list=None, *, street):
    """A pack of one door in Anytown (a new walk list, or `walk_list`)."""
    home = PropertyFactory(polling_district=anytown.polling_district, street=street)
    ElectorFactory(home=home, surname="Anytownson")
    if walk_list is None:
        pack = pack_with_doors(campaign, [home])
        pack.name = street
        pack.save(update_fields=["name"])
        return pack
    pack = PackFactory(walk_list=walk_list, door_count=1, name=street)
    PackDoor.objects.create(pack=pack, property=home, position=1)
    return pack


@pytest.fixture
def day(anytown, otherton):
    """Anytown's canvass session today, its walk list of two packs, another walk list, and
    a member of Otherton in good standing with no role anywhere."""
    campaign = campaign_with_survey(anytown.constituency)
    handed = _pack(anytown, campaign, street="Anytown Road")
    same_list = _pack(anytown, campaign, handed.walk_list, street="Anytown Lane")
    other_list = _pack(anytown, campaign, street="Anytown Close")
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    event, shift = event_with_shift(
        anytown.constituency,
        title="Target seat Saturday",
        visibility=Event.Visibility.MEMBERS,
        walk_list=handed.walk_list,
        starts_at=max(midnight, now - datetime.timedelta(hours=1)),
    )
    shift.ends_at = now + datetime.timedelta(hours=2)
    shift.save(update_fields=["ends_at"])
    visitor = UserFactory(email="visitor@otherton.example", full_name="Vera Visitor")  # no role anywhere
    MemberFactory(constituency=otherton.constituency, user=visitor, email="visitor@otherton.example")
    return {
        "event": event,
        "shift": shift,
        "handed": handed,
        "same_list": same_list,
        "other_list": other_list,
        "visitor": visitor,
        "organiser": anytown.user(Role.ORGANISER),
    }


def _sign_up_and_check_in(client, day):
    client.force_login(day["visitor"])
    response = client.post(reverse("campaigns:member_signup", args=[day["shift"].pk]))
    assert response.status_code == 302, response
    signup = Signup.unscoped.get(shift=day["shift"])
    assert signup.status == Signup.Status.BOOKED
    client.force_login(day["organiser"])
    client.post(
        reverse("campaigns:event_check_in", args=[day["event"].pk]),
        {"signup": signup.pk, "attendance": "attended", "pack": day["handed"].pk},
    )
    signup.refresh_from_db()
    assert signup.attendance == "attended" and signup.visitor_grant_id is not None
    client.force_login(day["visitor"])
    return signup


def _visit(pack):
    door = pack.doors.get()
    return {
        "uuid": str(uuid.uuid4()),
        "pack": pack.pk,
        "elector": door.property.electors.get().pk,
        "survey_version": pack.walk_list.campaign.current_survey_version().pk,
        "outcome": "spoke",
        "answers": {"vi": {"code": "L", "strength": "soft"}},
        "recorded_at": timezone.now().isoformat(),
    }


def _sync(client, pack):
    response = client.post(
        reverse("campaigns:sync"), json.dumps({"answers": [_visit(pack)]}), content_type="application/json"
    )
    return response.json()["results"][0]["status"]


def test_a_visitor_checked_in_canvasses_the_sessions_pack_that_day_and_nothing_else(
    client, anytown, otherton, day
):
    day["event"].visiting_constituencies.set([otherton.constituency])
    handed = day["handed"]
    client.force_login(day["visitor"])
    assert client.get(reverse("campaigns:pack_data", args=[handed.pk])).status_code == 404  # not yet
    signup = _sign_up_and_check_in(client, day)

    for name in VISITOR_PAGES:
        assert client.get(reverse(name, args=[handed.pk])).status_code == 200, name
    assert "Anytown Road" in client.get(reverse("campaigns:index")).text
    assert _sync(client, handed) == "recorded"

    # Nothing else of Anytown: the other pack of the same walk list, a pack of another list ...
    for pack in (day["same_list"], day["other_list"]):
        for name in VISITOR_PAGES:
            assert client.get(reverse(name, args=[pack.pk])).status_code == 404, (name, pack)
        assert client.get(reverse("campaigns:pack_shared", args=[pack.share_token])).status_code == 403
        assert _sync(client, pack) == "refused"
    # ... and every page a teller may not open in their own CLP (the register, elector search,
    # exports, members, the organiser's campaign and event pages, call lists, other packs).
    denied = _denied()[Role.TELLER]
    assert {"voters:search", "campaigns:report_csv", "campaigns:walklist", "campaigns:calllist"} <= set(
        denied
    )
    for name, kwargs in denied.items():
        url = reverse(name, kwargs=kwargs(anytown))
        # GET each; POST the canvassing ones too (a POST elsewhere is refused the same way, and
        # the scoping walker posts to every URL as other CLPs' people).
        for method in ("get", "post") if name.startswith("campaigns") else ("get",):
            client.force_login(day["visitor"])
            response = getattr(client, method)(url)
            assert response.status_code in REFUSED, f"{method.upper()} {url} ({name}): {response.status_code}"
            assert b"Anytown" not in response.content, url
    # The role itself gives no Action anywhere, and does not make Anytown theirs.
    for action in Action:
        assert not constituencies_for(day["visitor"], action).filter(pk=anytown.constituency.pk).exists()
    assert not member_constituencies(day["visitor"]).filter(pk=anytown.constituency.pk).exists()

    # Through the access app's rule: auto-approved, ends at midnight, audited, nothing left open.
    grant = Grant.objects.get(pk=signup.visitor_grant_id)
    holding = Holding.unscoped.get(grant=grant)
    assert (grant.role, grant.constituency_id) == (Role.VISITING_ACTIVIST, anytown.constituency.pk)
    assert holding.expires_at == events.visiting_day(day["shift"])[1] == grant.expires_at
    assert timezone.localtime(holding.expires_at).time() == datetime.time(0)
    request = holding.request
    assert request.status == Status.APPROVED and not AccessRequest.objects.open().filter(pk=request.pk)
    assert list(request.decisions.values_list("outcome", flat=True)) == [
        Decision.Outcome.SUBMITTED,
        Decision.Outcome.AUTO_APPROVED,
    ]
    assert AuditEvent.objects.filter(action="access.request.approve", object_id=str(request.pk)).exists()

    # Checked out again (a mistake at the door): their access ends at once.
    client.force_login(day["organiser"])
    client.post(
        reverse("campaigns:event_check_in", args=[day["event"].pk]), {"signup": signup.pk, "attendance": ""}
    )
    client.force_login(day["visitor"])
    assert client.get(reverse("campaigns:pack_data", args=[handed.pk])).status_code == 404


def test_after_midnight_the_next_request_is_refused_and_the_register_forgets_them(
    client, anytown, otherton, westland, day, monkeypatch
):
    day["event"].visiting_regions.set([westland])  # open by region this time
    signup = _sign_up_and_check_in(client, day)
    handed = day["handed"]
    assert client.get(reverse("campaigns:pack_data", args=[handed.pk])).status_code == 200

    # The public register of holders (for Anytown's members) shows the visitor while it lasts.
    neighbour = anytown.user(Role.CANVASSER)
    MemberFactory(constituency=anytown.constituency, user=neighbour)
    client.force_login(neighbour)
    register = reverse("access:register", args=[anytown.constituency.pk])
    page = client.get(register).text
    assert day["visitor"].full_name in page and "Visiting activist at a checked-in session" in page

    # Time moves to one minute past midnight: no sweeper has run; the next request is refused.
    later = events.visiting_day(day["shift"])[1] + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.force_login(day["visitor"])
    for name in VISITOR_PAGES:
        assert client.get(reverse(name, args=[handed.pk])).status_code == 404, name
    assert _sync(client, handed) == "refused"
    assert "Anytown Road" not in client.get(reverse("campaigns:index")).text
    client.force_login(neighbour)
    assert day["visitor"].full_name not in client.get(register).text
    signup.refresh_from_db()
    assert not Grant.objects.filter(pk=signup.visitor_grant_id).exists()  # not in force


def test_a_session_not_opened_to_their_clp_lets_no_visitor_in(client, anytown, otherton, day):
    client.force_login(day["visitor"])
    assert client.post(reverse("campaigns:member_signup", args=[day["shift"].pk])).status_code == 404
    assert client.get(reverse("campaigns:event_public", args=[day["event"].token])).status_code == 404


def test_a_lapsed_visitor_is_not_let_in(client, anytown, otherton, day):
    day["event"].visiting_constituencies.set([otherton.constituency])
    client.force_login(day["visitor"])
    client.post(reverse("campaigns:member_signup", args=[day["shift"].pk]))
    day["visitor"].member.status = "lapsed"
    day["visitor"].member.save(update_fields=["status"])
    signup = Signup.unscoped.get(shift=day["shift"])
    client.force_login(day["organiser"])
    response = client.post(
        reverse("campaigns:event_check_in", args=[day["event"].pk]),
        {"signup": signup.pk, "attendance": "attended", "pack": day["handed"].pk},
        follow=True,
    )
    assert "cannot be let in as a visitor" in response.text
    signup.refresh_from_db()
    assert signup.visitor_grant_id is None and signup.attendance == ""
    assert not Holding.unscoped.filter(user=day["visitor"]).exists()


def test_the_organiser_opens_a_session_to_other_clps_by_code_and_by_region(
    client, anytown, otherton, westland
):
    client.force_login(anytown.user(Role.ORGANISER))
    day = (timezone.localdate() + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    data = {
        "constituency": anytown.constituency.pk,
        "kind": "canvass",
        "title": "Target seat Saturday",
        "visibility": "members",
        "starts_at": f"{day} 10:30",
        "ends_at": f"{day} 12:30",
        "minimum": "1",
        "visiting_regions": [westland.pk],
        "visiting_constituencies": "e14000902, E14999999",
    }
    page = client.post(reverse("campaigns:event_create"), data)
    assert "No CLP has the code E14999999" in page.text and not Event.unscoped.exists()
    data["visiting_constituencies"] = otherton.constituency.gss_code.lower()
    client.post(reverse("campaigns:event_create"), data)
    event = Event.unscoped.get()
    assert list(event.visiting_constituencies.all()) == [otherton.constituency]
    assert list(event.visiting_regions.all()) == [westland]
