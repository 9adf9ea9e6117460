"""Lifts: organisers take requests, add drivers and assign; a driver's phone page shows only the
lifts given to them; a knocker's "needs a lift" makes one request; other CLPs see nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gotv import services
from gotv.models import Driver, KnockUpOutcome, KnockUpRound, LiftRequest
from labourhub.models import Role
from tests.factories import UserFactory
from tests.gotv.factories import DriverFactory, LiftRequestFactory, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    return polling_day(anytown)


def test_an_organiser_takes_a_request_adds_a_driver_and_assigns(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:lifts", args=[day.election.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        reverse("gotv:lift_create", args=[day.election.pk]),
        {"name": "Edna Price", "address": "4 Mill Lane", "phone": "01632 960100", "window_from": "10:00",
         "window_until": "11:30", "passengers": 1, "accessibility_needs": "frame", "wheelchair": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    lift = LiftRequest.unscoped.get(election=day.election)
    assert (lift.name, lift.status, lift.wheelchair, lift.requested_by) == (
        "Edna Price", "open", True, anytown.user(Role.ORGANISER)
    )  # fmt: skip
    response = client.post(
        reverse("gotv:driver_create", args=[day.election.pk]),
        {"name": "Tess", "phone": "07700 900123", "account": anytown.user(Role.TELLER).email, "seats": 3},
    )
    assert response.status_code == 302
    driver = Driver.unscoped.get(election=day.election)
    assert driver.user == anytown.user(Role.TELLER)
    page = client.get(url)
    assert b"Edna Price" in page.content and b"tel:01632960100" in page.content
    response = client.post(
        reverse("gotv:lift_update", args=[day.election.pk, lift.pk]),
        {"action": "assign", "driver": driver.pk},
    )
    assert response.status_code == 302
    lift.refresh_from_db()
    assert (lift.status, lift.driver, lift.assigned_at is not None) == ("assigned", driver, True)
    client.post(reverse("gotv:lift_update", args=[day.election.pk, lift.pk]), {"action": "done"})
    lift.refresh_from_db()
    assert lift.status == "done" and lift.done_at is not None


def test_bad_requests_say_what_is_wrong_and_write_nothing(client, anytown, day):
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.post(
        reverse("gotv:lift_create", args=[day.election.pk]),
        {
            "name": "Edna",
            "address": "4 Mill Lane",
            "window_from": "11:00",
            "window_until": "09:00",
            "passengers": 1,
        },
    )
    assert response.status_code == 400
    assert b"09:00 is before the start of the window (11:00)" in response.content
    response = client.post(
        reverse("gotv:driver_create", args=[day.election.pk]),
        {"name": "Stranger", "account": "nobody@example.org", "seats": 2},
    )
    assert response.status_code == 400 and b"has the email nobody@example.org" in response.content
    # An Otherton user's email is refused too: drivers need a role in this CLP.
    other = UserFactory(email="elsewhere@example.org")
    response = client.post(
        reverse("gotv:driver_create", args=[day.election.pk]),
        {"name": "X", "account": other.email, "seats": 2},
    )
    assert response.status_code == 400
    lift = LiftRequestFactory(election=day.election)
    response = client.post(reverse("gotv:lift_update", args=[day.election.pk, lift.pk]), {"action": "done"})
    assert response.status_code == 400 and b"Waiting for a driver" in response.content.replace(
        b"waiting", b"Waiting"
    )
    response = client.post(
        reverse("gotv:lift_update", args=[day.election.pk, lift.pk]), {"action": "explode"}
    )
    assert response.status_code == 400
    assert not Driver.unscoped.exists()
    assert LiftRequest.unscoped.get().status == "open"


def test_a_driver_of_another_election_cannot_be_assigned(anytown, day):
    organiser = anytown.user(Role.ORGANISER)
    lift = LiftRequestFactory(election=day.election)
    stranger = DriverFactory()  # another election, another CLP
    with pytest.raises(ValidationError, match="is not a driver for"):
        services.lift_assign(lift=lift, driver=stranger, user=organiser)
    lift.refresh_from_db()
    assert lift.status == "open" and lift.driver is None


def test_a_driver_sees_and_moves_only_their_own_lifts(client, anytown, day):
    tess, cal = anytown.user(Role.TELLER), anytown.user(Role.CANVASSER)
    organiser = anytown.user(Role.ORGANISER)
    mine = LiftRequestFactory(election=day.election, name="Mine Passenger", phone="01632 960111")
    theirs = LiftRequestFactory(election=day.election, name="Their Passenger")
    unassigned = LiftRequestFactory(election=day.election, name="Nobody Yet")
    services.lift_assign(lift=mine, driver=DriverFactory(election=day.election, user=tess), user=organiser)
    services.lift_assign(lift=theirs, driver=DriverFactory(election=day.election, user=cal), user=organiser)

    client.force_login(tess)
    page = client.get(reverse("gotv:my_lifts"))
    assert b"Mine Passenger" in page.content and b"tel:01632960111" in page.content
    assert b"Their Passenger" not in page.content and b"Nobody Yet" not in page.content
    assert (
        client.post(reverse("gotv:my_lift_update", args=[theirs.pk]), {"action": "done"}).status_code == 404
    )
    assert (
        client.post(reverse("gotv:my_lift_update", args=[unassigned.pk]), {"action": "done"}).status_code
        == 404
    )
    client.post(reverse("gotv:my_lift_update", args=[mine.pk]), {"action": "picked_up"})
    mine.refresh_from_db()
    assert mine.picked_up_at is not None and mine.status == "assigned"
    client.post(reverse("gotv:my_lift_update", args=[mine.pk]), {"action": "done"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "done" and theirs.status == "assigned"
    # A driver is no organiser: the office page is refused.
    assert client.get(reverse("gotv:lifts", args=[day.election.pk])).status_code == 404


def test_a_driver_whose_role_ended_sees_no_lifts(client, anytown, day):
    tess = anytown.user(Role.TELLER)
    lift = LiftRequestFactory(election=day.election, name="Kept Passenger")
    services.lift_assign(
        lift=lift, driver=DriverFactory(election=day.election, user=tess), user=anytown.user(Role.ORGANISER)
    )
    tess.grants.update(revoked_at=timezone.now())
    client.force_login(tess)
    assert b"Kept Passenger" not in client.get(reverse("gotv:my_lifts")).content
    assert client.post(reverse("gotv:my_lift_update", args=[lift.pk]), {"action": "done"}).status_code == 404


def test_another_clp_reads_and_writes_nothing(client, anytown, otherton, day):
    lift = LiftRequestFactory(election=day.election, name="Anytown Passenger")
    client.force_login(otherton.user(Role.ORGANISER))
    assert client.get(reverse("gotv:lifts", args=[day.election.pk])).status_code == 404
    posted = client.post(
        reverse("gotv:lift_create", args=[day.election.pk]), {"name": "X", "address": "Y", "passengers": 1}
    )
    assert posted.status_code == 404
    posted = client.post(reverse("gotv:lift_update", args=[day.election.pk, lift.pk]), {"action": "cancel"})
    assert posted.status_code == 404
    assert LiftRequest.unscoped.count() == 1 and LiftRequest.unscoped.get().status == "open"


def test_needs_a_lift_from_a_knocker_makes_one_request(anytown, day):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district, address="9 Canal Street"),
        first_names="Ada",
        surname="Lovelace",
    )
    enter(day.election.publication, elector)
    knock_up_round = KnockUpRound.unscoped.create(
        committee_room=day.room,
        number=1,
        tellings_up_to=timezone.now(),
        created_by=anytown.user(Role.ORGANISER),
    )
    outcome = KnockUpOutcome.unscoped.create(
        round=knock_up_round, elector=elector, knocker=anytown.user(Role.CANVASSER),
        outcome=KnockUpOutcome.Outcome.NEEDS_LIFT, notes="after 4pm", recorded_at=timezone.now(),
    )  # fmt: skip
    lift = services.lift_request_from_knock_up(outcome=outcome)
    assert (lift.name, lift.address, lift.committee_room, lift.notes) == (
        "Ada Lovelace", "9 Canal Street", day.room, "after 4pm"
    )  # fmt: skip
    assert services.lift_request_from_knock_up(outcome=outcome) == lift
    assert LiftRequest.unscoped.count() == 1
    outcome.outcome = KnockUpOutcome.Outcome.NOT_IN
    with pytest.raises(ValidationError, match="does not ask for a lift"):
        services.lift_request_from_knock_up(outcome=outcome)
