"""Matching members to register electors by name and postcode, with review of uncertain matches."""

from django.urls import reverse

from members import services
from members.models import ElectorMatch, Member
from tests.members.factories import MemberFactory
from tests.voters.factories import ElectorFactory, PropertyFactory


def _home(anytown, postcode="AN11AA", address="1 Anytown Road"):
    return PropertyFactory(polling_district=anytown.polling_district, postcode=postcode, address=address)


def _proposed_match(anytown):
    """Robert Anytownby, a member at 1 Anytown Road, where the register has a Bob Anytownby."""
    ElectorFactory(home=_home(anytown), first_names="Bob", surname="Anytownby")
    MemberFactory(
        constituency=anytown.constituency,
        first_name="Robert",
        last_name="Anytownby",
        address_line1="1 Anytown Road",
    )
    services.member_match_electors(constituency=anytown.constituency)
    return ElectorMatch.unscoped.get()


def test_a_certain_match_is_linked_and_an_uncertain_one_is_proposed(anytown):
    home = _home(anytown)
    ann = ElectorFactory(home=home, first_names="Ann Mary", surname="Anytownley")
    ElectorFactory(home=home, first_names="Robert", surname="Anytownby")
    member_ann = MemberFactory(constituency=anytown.constituency, first_name="Ann", last_name="Anytownley")
    member_bob = MemberFactory(
        constituency=anytown.constituency,
        first_name="Bob",
        last_name="Anytownby",
        address_line1="1, Anytown Road",
    )
    MemberFactory(constituency=anytown.constituency, first_name="Cat", last_name="Nobody")
    assert services.member_match_electors(constituency=anytown.constituency) == (1, 1)
    member_ann.refresh_from_db()
    assert member_ann.elector == ann
    proposal = ElectorMatch.unscoped.get(state=ElectorMatch.State.PROPOSED)
    assert proposal.member == member_bob and "different first name" in proposal.reason
    assert services.member_match_electors(constituency=anytown.constituency) == (0, 0)  # nothing new


def test_two_electors_with_the_same_name_at_the_address_need_review(anytown):
    home = _home(anytown)
    ElectorFactory(home=home, first_names="Sam", surname="Anytownson")
    ElectorFactory(home=home, first_names="Sam", surname="Anytownson")
    MemberFactory(constituency=anytown.constituency, first_name="Sam", last_name="Anytownson")
    assert services.member_match_electors(constituency=anytown.constituency) == (0, 2)


def test_officer_confirms_one_and_the_members_other_proposals_close(client, anytown, anytown_secretary):
    home = _home(anytown)
    first = ElectorFactory(home=home, first_names="Sam", surname="Anytownson")
    ElectorFactory(home=home, first_names="Sam", surname="Anytownson")
    member = MemberFactory(constituency=anytown.constituency, first_name="Sam", last_name="Anytownson")
    services.member_match_electors(constituency=anytown.constituency)
    client.force_login(anytown_secretary)
    page = client.get(reverse("members:matches"))
    assert page.context["page"].paginator.count == 2
    match = ElectorMatch.unscoped.get(elector=first)
    client.post(reverse("members:match_decide", args=[match.pk]), {"decision": "confirm"})
    member.refresh_from_db()
    assert member.elector == first
    assert set(ElectorMatch.unscoped.values_list("state", flat=True)) == {"confirmed", "rejected"}


def test_rejected_pairs_are_not_proposed_again(anytown, anytown_secretary):
    match = _proposed_match(anytown)
    services.elector_match_decide(match=match, confirm=False, user=anytown_secretary)
    assert services.member_match_electors(constituency=anytown.constituency) == (0, 0)
    assert Member.unscoped.get().elector is None


def test_other_clps_officer_cannot_decide(client, anytown, otherton_secretary):
    match = _proposed_match(anytown)
    client.force_login(otherton_secretary)
    assert (
        client.post(reverse("members:match_decide", args=[match.pk]), {"decision": "confirm"}).status_code
        == 404
    )
    match.refresh_from_db()
    assert match.state == "proposed"


def test_a_linked_member_gets_no_proposals_and_other_houses_in_the_postcode_are_not_proposed(anytown):
    home = _home(anytown)
    ElectorFactory(home=home, first_names="Ann", surname="Anytownley")
    ElectorFactory(home=home, first_names="Jane", surname="Anytownley")  # her daughter
    ElectorFactory(home=_home(anytown, address="25 Anytown Road"), first_names="Joe", surname="Anytownby")
    MemberFactory(constituency=anytown.constituency, first_name="Ann", last_name="Anytownley")
    MemberFactory(
        constituency=anytown.constituency,
        first_name="Bob",
        last_name="Anytownby",
        address_line1="1 Anytown Road",
    )
    assert services.member_match_electors(constituency=anytown.constituency) == (1, 0)
