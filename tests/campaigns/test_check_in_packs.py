"""A pack handed out at check-in (issue 17, item 4) is usable by the LOCAL person it was handed to,
within what their grant allows: a canvasser of the CLP is given the pack (as the walk list page
gives one); a member of the CLP with no canvassing role gets the visiting activists' day (the
access rule: that pack only, until midnight); for someone the pack cannot open for (no account, a
lapsed member) the check-in and pack are recorded and the organiser is told to give the printed
sheet."""

from django.urls import reverse

from campaigns.models import Signup
from labourhub.models import Grant, Role
from tests.campaigns.event_factories import booked
from tests.campaigns.test_visiting import VISITOR_PAGES, _sync
from tests.campaigns.test_visiting import day as day  # noqa: F401  (the fixture)
from tests.factories import UserFactory
from tests.members.factories import MemberFactory


def _check_in(client, day, signup, pack, follow=False):
    client.force_login(day["organiser"])
    return client.post(
        reverse("campaigns:event_check_in", args=[day["event"].pk]),
        {"signup": signup.pk, "attendance": "attended", "pack": pack.pk},
        follow=follow,
    )


def _opens(client, user, pack):
    client.force_login(user)
    return [client.get(reverse(name, args=[pack.pk])).status_code for name in VISITOR_PAGES]


def test_a_canvasser_of_the_clp_handed_a_pack_at_check_in_canvasses_it(client, anytown, day):
    canvasser = anytown.user(Role.CANVASSER)
    signup = booked(day["shift"], name=canvasser.full_name, email=canvasser.email.upper())
    assert set(_opens(client, canvasser, day["handed"])) == {404}  # not theirs yet

    _check_in(client, day, signup, day["handed"])

    assert set(_opens(client, canvasser, day["handed"])) == {200}
    assert _sync(client, day["handed"]) == "recorded"
    assert set(_opens(client, canvasser, day["same_list"])) == {404}  # only the pack handed
    # Through their own grant: no day grant is made for them.
    assert not Grant.objects.filter(user=canvasser, role=Role.VISITING_ACTIVIST).exists()
    # A mistake at the door undone: the pack is taken back.
    client.force_login(day["organiser"])
    client.post(
        reverse("campaigns:event_check_in", args=[day["event"].pk]), {"signup": signup.pk, "attendance": ""}
    )
    assert set(_opens(client, canvasser, day["handed"])) == {404}


def test_a_member_of_the_clp_with_no_canvassing_role_gets_the_days_pack_only(client, anytown, day):
    volunteer = UserFactory(email="volunteer@anytown.example", full_name="Anytown Volunteer")
    member = MemberFactory(constituency=anytown.constituency, user=volunteer, email=volunteer.email)
    signup = booked(day["shift"], email=volunteer.email)
    signup.contact.member = member
    signup.contact.save(update_fields=["member"])

    page = _check_in(client, day, signup, day["handed"], follow=True)
    assert f"with pack {day['handed'].sheet_id}: it opens on their phone" in page.text

    assert set(_opens(client, volunteer, day["handed"])) == {200}
    assert _sync(client, day["handed"]) == "recorded"
    assert set(_opens(client, volunteer, day["same_list"])) == {404}
    signup.refresh_from_db()
    grant = Grant.objects.get(pk=signup.visitor_grant_id)
    assert (grant.role, grant.constituency_id) == (Role.VISITING_ACTIVIST, anytown.constituency.pk)


def test_someone_with_no_account_keeps_the_pack_on_paper_and_the_organiser_is_told(client, anytown, day):
    signup = booked(day["shift"], name="Walk-up Wendy", email="wendy@anytown.example")
    page = _check_in(client, day, signup, day["handed"], follow=True)
    assert "Walk-up Wendy has no LabourHub account" in page.text and "printed sheet" in page.text
    signup.refresh_from_db()
    assert (signup.pack_id, signup.attendance) == (day["handed"].pk, Signup.Attendance.ATTENDED)
    assert signup.visitor_grant_id is None and day["handed"].assigned_to_id is None


def test_a_lapsed_local_member_is_not_let_in_and_the_organiser_is_told(client, anytown, day):
    volunteer = UserFactory(email="lapsed@anytown.example", full_name="Lapsed Larry")
    member = MemberFactory(constituency=anytown.constituency, user=volunteer, email=volunteer.email)
    member.status = "lapsed"
    member.save(update_fields=["status"])
    signup = booked(day["shift"], name="Lapsed Larry", email=volunteer.email)
    signup.contact.member = member
    signup.contact.save(update_fields=["member"])
    page = _check_in(client, day, signup, day["handed"], follow=True)
    assert f"Pack {day['handed'].sheet_id} will not open on Lapsed Larry&#x27;s phone" in page.text
    assert "Member in good standing" in page.text and "printed sheet" in page.text
    assert set(_opens(client, volunteer, day["handed"])) == {404}
