"""Issue 14, item 4: the voter's page shows what the door learnt (the latest voting intention with
when and how, the answers given at each contact) and search results a summary of it, to the roles
that open the register's pages (with MFA) only, in a fixed number of queries."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import voter_page
from campaigns.models import LatestIntention, Visit
from campaigns.services import canvass_record_visit, visit_void
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory


@pytest.fixture
def organiser(anytown):
    return anytown.user(Role.ORGANISER)


@pytest.fixture
def voter(anytown):
    home = PropertyFactory(
        polling_district=anytown.polling_district, address="7 Anytown Lane", postcode="AT12AB"
    )
    return ElectorFactory(
        home=home, polling_district=anytown.polling_district, surname="Anytownson", first_names="Ann"
    )


@pytest.fixture
def campaign(anytown):
    return campaign_with_survey(anytown.constituency, name="Anytown spring doorstep")


def knock(campaign, elector, canvasser, answers, outcome="spoke", channel=None, when=None):
    return canvass_record_visit(
        canvasser=canvasser,
        campaign=campaign,
        elector=elector,
        outcome=outcome,
        client_uuid=uuid.uuid4(),
        answers=answers,
        survey_version=campaign.current_survey_version() if answers else None,
        recorded_at=when,
        channel=channel,
    ).visit


FULL = {
    "vi": {"code": "L", "strength": "hard"},
    "labour-0-10": 8,
    "issues": {"codes": ["housing", "nhs"], "other": "potholes on Anytown Lane"},
    "postal": True,
    "poster": False,
}


def test_voter_page_shows_the_latest_intention_with_when_and_how(client, anytown, organiser, voter, campaign):
    canvasser = anytown.user(Role.CANVASSER)
    knock(
        campaign,
        voter,
        canvasser,
        {"vi": {"code": "T", "strength": "soft"}},
        when=timezone.now() - timedelta(days=2),
    )
    knock(campaign, voter, canvasser, FULL)
    client.force_login(organiser)
    page = client.get(reverse("voters:elector", args=[voter.pk])).content.decode()
    top = page.split('id="learnt-h"')[1].split("</section>")[0]
    assert "Labour (L), hard" in top
    assert "Conservative" not in top  # the older intention is not the latest
    assert "Door" in top and str(canvasser) in top and "Anytown spring doorstep" in top
    assert "8 out of 10" in top
    assert "Housing" in top and "also: potholes on Anytown Lane" in top
    assert "Would you like a postal vote?" in top


def test_each_contact_in_the_history_shows_its_answers(client, anytown, organiser, voter, campaign):
    canvasser = anytown.user(Role.CANVASSER)
    knock(
        campaign,
        voter,
        canvasser,
        {"vi": {"code": "T", "strength": "soft"}},
        when=timezone.now() - timedelta(days=2),
    )
    knock(campaign, voter, canvasser, FULL)
    knock(campaign, voter, canvasser, None, outcome="not_in")
    ContactFactory(elector=voter, channel="email", outcome="opened", campaign_label="Anytown newsletter")
    client.force_login(organiser)
    response = client.get(reverse("voters:elector", args=[voter.pk]))
    history = response.content.decode().split('id="contacts-h"')[1].split("</table>")[0]
    rows = history.split("<tr>")[2:]  # after the header row
    assert len(rows) == 4
    outcome = {row.split('data-label="Outcome">')[1].split("<")[0]: row for row in rows}
    assert "<dl" not in outcome["Not in"] and "<dl" not in outcome["opened"]
    older = [row for row in rows if "Conservative (T), soft" in row]
    assert len(older) == 1 and "out of 10" not in older[0]  # only what was asked then
    full = [row for row in rows if "Labour (L), hard" in row]
    assert len(full) == 1 and "8 out of 10" in full[0] and "Housing, NHS and health" in full[0]
    assert "<dd>Yes</dd>" in full[0] and "<dd>No</dd>" in full[0]  # postal vote yes, poster no


def test_a_voided_visit_says_so_and_no_longer_gives_the_latest_intention(
    client, anytown, organiser, voter, campaign
):
    visit = knock(campaign, voter, anytown.user(Role.CANVASSER), FULL)
    visit_void(visit=visit, user=organiser, reason="Anytown test data")
    client.force_login(organiser)
    page = client.get(reverse("voters:elector", args=[voter.pk])).content.decode()
    assert page.count("voided by an organiser") == 1  # on the contact in the history
    assert not LatestIntention.unscoped.filter(elector=voter).exists()


def test_voiding_and_restoring_a_visit_moves_the_latest_intention(anytown, organiser, voter, campaign):
    canvasser = anytown.user(Role.CANVASSER)
    first = knock(campaign, voter, canvasser, {"vi": {"code": "L", "strength": "soft"}})
    second = knock(campaign, voter, canvasser, {"vi": {"code": "T", "strength": "hard"}})
    knock(campaign, voter, canvasser, None, outcome="not_in")  # no intention: never the latest

    def latest():
        found = LatestIntention.unscoped.select_related("intention").get(elector=voter)
        return found.intention.code, found.strength, found.visit_id, found.at

    assert latest() == ("T", "hard", second.pk, second.received_at)
    visit_void(visit=second, user=organiser, reason="made up")
    assert latest() == ("L", "soft", first.pk, first.received_at)
    visit_void(visit=second, user=organiser, reason="checked: real", voided=False)
    assert latest() == ("T", "hard", second.pk, second.received_at)
    visit_void(visit=first, user=organiser, reason="made up")
    assert latest()[2] == second.pk  # voiding an older visit leaves the newer one standing


def test_search_results_show_the_latest_intention(client, anytown, organiser, voter, campaign):
    other = ElectorFactory(home=voter.home, polling_district=anytown.polling_district, surname="Anytownson")
    knock(campaign, voter, anytown.user(Role.CANVASSER), FULL)
    client.force_login(organiser)
    response = client.get(reverse("voters:search"), {"q": "Anytownson"})
    rows = {e.pk: e.learnt for e in response.context["page"]}
    assert rows[voter.pk].startswith("Labour (L), hard, ")
    assert rows[other.pk] == ""
    assert "Labour (L), hard" in response.content.decode()


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_voter_page_costs_the_same_queries_for_one_contact_or_thirty(
    client, anytown, organiser, voter, campaign, django_assert_max_num_queries
):
    canvasser = anytown.user(Role.CANVASSER)
    knock(campaign, voter, canvasser, FULL)
    client.force_login(organiser)
    url = reverse("voters:elector", args=[voter.pk])
    one, _ = _page_queries(client, url)
    for n in range(29):
        knock(campaign, voter, canvasser, {**FULL, "labour-0-10": n % 11}, channel="door")
    thirty, response = _page_queries(client, url)
    assert thirty == one
    assert response.content.decode().count("out of 10</dd>") == 30 + 1  # each contact, and the top
    with django_assert_max_num_queries(15):  # 11 for the page before, 3 for what was learnt, MFA check
        client.get(url)


def test_search_costs_one_query_more_whatever_the_results(
    client, anytown, organiser, campaign, django_assert_max_num_queries
):
    canvasser = anytown.user(Role.CANVASSER)
    for n in range(30):
        elector = ElectorFactory(
            polling_district=anytown.polling_district,
            home__polling_district=anytown.polling_district,
            surname=f"Anytownson{n}",
        )
        knock(campaign, elector, canvasser, FULL)
    client.force_login(organiser)
    with django_assert_max_num_queries(11):  # 9, the MFA check and the summaries
        response = client.get(reverse("voters:search"), {"q": "Anytownson"})
    assert response.content.decode().count("Labour (L), hard") == 30


def test_roles_without_view_voters_learn_nothing_through_it(anytown, otherton, voter, campaign):
    """The contributions read as the voter's page does: a canvasser, who knocked the door, and
    another CLP's secretary get nothing, even when asked directly."""
    canvasser = anytown.user(Role.CANVASSER)
    visit = knock(campaign, voter, canvasser, FULL)
    contact_ids = [visit.contact_id]
    for user in (canvasser, anytown.user(Role.TELLER), otherton.user(Role.CLP_SECRETARY)):
        assert voter_page.latest(user, voter) is None
        assert voter_page.on_contacts(user, contact_ids) == {}
        assert voter_page.summaries(user, [voter.pk]) == {}
    organiser = anytown.user(Role.ORGANISER)
    assert voter_page.latest(organiser, voter).value == "Labour (L), hard"
    assert set(voter_page.on_contacts(organiser, contact_ids)) == {visit.contact_id}
    assert Visit.unscoped.filter(contact_id__in=contact_ids).count() == 1


def test_canvassers_still_cannot_open_the_voter_page_or_search(client, anytown, voter, campaign):
    knock(campaign, voter, anytown.user(Role.CANVASSER), FULL)
    client.force_login(anytown.user(Role.CANVASSER))
    assert client.get(reverse("voters:elector", args=[voter.pk])).status_code in (403, 404)
    assert client.get(reverse("voters:search"), {"q": "Anytownson"}).status_code == 403
