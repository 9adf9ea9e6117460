"""Issue #14 item 5: a surname change is a change of the same elector, not a removal and an
addition; uncertain ones wait for a person (voters.importers.register, voters.merging)."""

import copy
import datetime

import pytest
from django.urls import reverse

from tests.voters.factories import ContactFactory
from voters.models import Contact, Elector, NameChangeReview, RegisterEntry, RegisterImport
from voters.register_files import ADD, CHANGE, DELETE, write_register, write_update
from voters.services import name_change_review_decide, name_change_reviews_accept


def elector_of(person, constituency):
    return Elector.unscoped.get(
        polling_district__constituency=constituency,
        polling_district__code=person.pd,
        elector_number=person.number,
        elector_suffix=person.suffix,
        on_register=True,
    )


def single(people):
    """The first person who is not an attainer (no date of birth to compare) and not alone at home
    (so the test is not helped by the household), with a non-empty address."""
    return next(p for p in people if p.attainment is None and p.postcode and p.first_names)


def state(constituency):
    """Everything a re-import could touch: electors, their entries, contacts and reviews."""
    return (
        list(Elector.unscoped.order_by("pk").values_list()),
        list(RegisterEntry.unscoped.order_by("pk").values_list()),
        list(Contact.unscoped.order_by("pk").values_list()),
        list(NameChangeReview.unscoped.order_by("pk").values_list()),
    )


@pytest.fixture
def imported(tmp_path, anytown, anytown_people, run_import):
    record = run_import(
        write_register(tmp_path / "2025.csv", anytown_people, "xpress14"),
        anytown.constituency,
        published_on="2025-12-01",
    )
    assert record.status == RegisterImport.Status.DONE, record.errors
    return anytown_people


def renumbered(people, by=1000):
    people = copy.deepcopy(people)
    for person in people:
        person.number += by
    return people


# --- Certain: the same elector under a new surname -------------------------------------------------


def test_surname_change_keeps_the_elector_and_their_contact_history(tmp_path, anytown, imported, run_import):
    person = single(imported)
    elector = elector_of(person, anytown.constituency)
    contact = ContactFactory(elector=elector, notes="Promised a poster")
    person.surname = "Marriedname-" + person.surname

    record = run_import(write_register(tmp_path / "2025b.csv", imported, "xpress14"), anytown.constituency)

    assert record.status == RegisterImport.Status.DONE, record.errors
    assert (record.added, record.removed, record.name_changes, record.changed) == (0, 0, 1, 0)
    elector.refresh_from_db()
    assert elector.surname == person.surname and elector.on_register
    assert list(elector.contacts.all()) == [contact]
    assert not Elector.unscoped.filter(on_register=False).exists()
    assert any("1 name change" in note and person.surname in note for note in record.notes), record.notes


def test_surname_change_with_a_new_number_and_the_same_birth_date_keeps_the_elector(
    tmp_path, anytown, imported, run_import
):
    person = next(p for p in imported if p.attainment is not None and p.postcode)
    elector = elector_of(person, anytown.constituency)
    ContactFactory(elector=elector)
    later = renumbered(imported)
    moved = next(p for p in later if p.attainment == person.attainment and p.lines == person.lines)
    moved.surname = "Newname"

    record = run_import(
        write_register(tmp_path / "2026.csv", later, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )

    assert record.status == RegisterImport.Status.DONE, record.errors
    assert (record.added, record.removed, record.name_changes, record.to_review) == (0, 0, 1, 0)
    elector.refresh_from_db()
    assert (elector.surname, elector.elector_number, elector.on_register) == ("Newname", moved.number, True)
    assert elector.contacts.count() == 1


def test_a_different_birth_date_is_a_different_person(tmp_path, anytown, imported, run_import):
    person = next(p for p in imported if p.attainment is not None and p.postcode)
    elector = elector_of(person, anytown.constituency)
    person.surname, person.attainment = "Newname", person.attainment + datetime.timedelta(days=400)

    record = run_import(write_register(tmp_path / "b.csv", imported, "xpress14"), anytown.constituency)

    assert (record.added, record.removed, record.name_changes, record.to_review) == (1, 1, 0, 0)
    elector.refresh_from_db()
    assert not elector.on_register


def test_the_same_file_twice_changes_nothing_the_second_time(tmp_path, anytown, imported, run_import):
    later = renumbered(imported)
    next(p for p in later if p.attainment is None and p.postcode).surname = "Newname"  # for review
    next(p for p in later if p.attainment is not None and p.postcode).surname = "Wed"  # certain
    path = write_register(tmp_path / "2026.csv", later, "xpress14")
    first = run_import(path, anytown.constituency, published_on="2026-12-01")
    assert (first.status, first.name_changes, first.to_review) == ("done", 1, 1)
    before = state(anytown.constituency)

    second = run_import(path, anytown.constituency, published_on="2026-12-01")

    assert (second.added, second.changed, second.name_changes, second.to_review, second.removed) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert state(anytown.constituency) == before


def test_a_rejected_file_changes_nothing_and_proposes_nothing(tmp_path, anytown, imported, run_import):
    later = renumbered(imported)
    single(later).surname = "Newname"
    later[-1].surname = ""  # a bad row: the whole file is rejected
    before = state(anytown.constituency)

    record = run_import(
        write_register(tmp_path / "bad.csv", later, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )

    assert record.status == RegisterImport.Status.REJECTED
    assert state(anytown.constituency) == before


# --- Uncertain: left for a person ---------------------------------------------------------------------


@pytest.fixture
def proposed(tmp_path, anytown, imported, run_import):
    """A re-published register in which one elector has a new surname and a new number, with no date
    of birth to compare: a possible name change, for review. Returns (review, earlier id, record)."""
    person = single(imported)
    earlier = elector_of(person, anytown.constituency)
    ContactFactory(elector=earlier, notes="Spoke about the bins")
    later = renumbered(imported)
    moved = next(p for p in later if p.first_names == person.first_names and p.lines == person.lines)
    moved.surname = "Newname"
    record = run_import(
        write_register(tmp_path / "2026.csv", later, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )
    assert record.status == RegisterImport.Status.DONE, record.errors
    return NameChangeReview.unscoped.get(), earlier.pk, record, later


def test_an_uncertain_name_change_is_proposed_and_changes_nothing_until_decided(anytown, proposed):
    review, earlier_id, record, _ = proposed
    assert (record.to_review, record.name_changes) == (1, 0)
    assert any("possible name change to review" in note for note in record.notes), record.notes
    assert review.state == NameChangeReview.State.PROPOSED and review.earlier_id == earlier_id
    later = review.later
    assert later.surname == "Newname" and later.on_register
    earlier = Elector.unscoped.get(pk=earlier_id)
    # Two people, as today, until someone decides: the history stays where it was.
    assert earlier.surname != "Newname" and not earlier.on_register
    assert earlier.contacts.count() == 1 and later.contacts.count() == 0


def test_accepting_merges_the_later_elector_into_the_earlier(
    tmp_path, anytown, anytown_secretary, proposed, run_import
):
    review, earlier_id, _, later_people = proposed
    later = review.later
    ContactFactory(elector=later, notes="Recorded since the import")
    name_change_review_decide(review=review, accept=True, user=anytown_secretary)

    assert not Elector.unscoped.filter(pk=later.pk).exists()
    earlier = Elector.unscoped.get(pk=earlier_id)
    assert (earlier.surname, earlier.elector_number, earlier.on_register) == (
        "Newname",
        later.elector_number,
        True,
    )
    assert sorted(earlier.contacts.values_list("notes", flat=True)) == [
        "Recorded since the import",
        "Spoke about the bins",
    ]
    entry = RegisterEntry.unscoped.get(
        publication__published_on="2026-12-01",
        elector_number=later.elector_number,
        polling_district=later.polling_district,
    )
    assert entry.elector_id == earlier_id
    review.refresh_from_db()
    assert (review.state, review.later_id, review.decided_by) == ("accepted", None, anytown_secretary)
    assert "Newname" in review.later_summary

    # The same file again: the merged elector is matched, nothing changes, nothing is proposed.
    before = state(anytown.constituency)
    again = run_import(
        write_register(tmp_path / "again.csv", later_people, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )
    assert (again.added, again.changed, again.to_review, again.removed) == (0, 0, 0, 0)
    assert state(anytown.constituency) == before


def test_rejecting_leaves_two_people(tmp_path, anytown, anytown_secretary, proposed, run_import):
    review, earlier_id, _, later_people = proposed
    later_id = review.later_id
    name_change_review_decide(review=review, accept=False, user=anytown_secretary)

    assert Elector.unscoped.filter(pk__in=[earlier_id, later_id]).count() == 2
    assert Elector.unscoped.get(pk=earlier_id).contacts.count() == 1
    review.refresh_from_db()
    assert review.state == "rejected" and review.later_id == later_id
    with pytest.raises(ValueError, match="already been decided"):
        name_change_review_decide(review=review, accept=True, user=anytown_secretary)
    again = run_import(
        write_register(tmp_path / "again.csv", later_people, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )
    assert again.to_review == 0 and NameChangeReview.unscoped.count() == 1


def test_two_candidates_are_never_merged_automatically(tmp_path, anytown, imported, run_import):
    """Two electors at one property with the same first names and date of birth (twins who both
    married, say): the row could be either, so both pairs wait for a person."""
    first = next(p for p in imported if p.attainment is not None and p.postcode)
    twin = copy.deepcopy(first)
    twin.number, twin.suffix, twin.surname = (
        max(p.number for p in imported if p.pd == first.pd) + 1,
        0,
        "Twin",
    )
    imported.append(twin)
    run_import(write_register(tmp_path / "twins.csv", imported, "xpress14"), anytown.constituency)
    later = renumbered(imported)
    for person in later:
        if person.first_names == first.first_names and person.lines == first.lines:
            person.surname = "Married" if person.surname != "Twin" else "Wed"
    record = run_import(
        write_register(tmp_path / "2026.csv", later, "xpress14"),
        anytown.constituency,
        published_on="2026-12-01",
    )
    assert record.status == RegisterImport.Status.DONE, record.errors
    assert (record.name_changes, record.to_review) == (0, 4)
    assert all("more than one" in r.reason for r in NameChangeReview.unscoped.all())


def test_accepting_one_of_two_candidates_closes_the_other(
    tmp_path, anytown, anytown_secretary, imported, run_import
):
    test_two_candidates_are_never_merged_automatically(tmp_path, anytown, imported, run_import)
    review = NameChangeReview.unscoped.order_by("pk").first()
    name_change_review_decide(review=review, accept=True, user=anytown_secretary)
    states = sorted(NameChangeReview.unscoped.values_list("state", flat=True))
    # The pair accepted, the two sharing one of its electors closed, the pair of the other two open.
    assert states == ["accepted", "proposed", "rejected", "rejected"]


# --- The review page ----------------------------------------------------------------------------------


def test_review_page_shows_both_records_side_by_side(client, anytown_secretary, proposed):
    review, earlier_id, _, _ = proposed
    earlier = Elector.unscoped.get(pk=earlier_id)
    client.force_login(anytown_secretary)
    response = client.get(reverse("voters:name_changes"))
    assert response.status_code == 200
    page = response.content.decode()
    assert earlier.surname in page and "Newname" in page
    assert earlier.elector_number_raw in page and review.later.elector_number_raw in page
    assert list(response.context["page"]) == [review]


def test_the_imports_page_says_how_many_wait(client, anytown_secretary, otherton_secretary, proposed):
    client.force_login(anytown_secretary)
    assert "1 possible name change</a> to decide" in client.get(reverse("voters:imports")).content.decode()
    client.force_login(otherton_secretary)
    assert "possible name change" not in client.get(reverse("voters:imports")).content.decode()


def test_review_page_search(client, anytown_secretary, proposed):
    review, _, _, _ = proposed
    client.force_login(anytown_secretary)
    assert list(client.get(reverse("voters:name_changes"), {"q": "newnam"}).context["page"]) == [review]
    assert list(client.get(reverse("voters:name_changes"), {"q": "nobody-called-this"}).context["page"]) == []


def test_deciding_from_the_page(client, anytown_secretary, proposed):
    review, earlier_id, _, _ = proposed
    client.force_login(anytown_secretary)
    response = client.post(reverse("voters:name_change_decide", args=[review.pk]), {"decision": "accept"})
    assert response.status_code == 302
    assert Elector.unscoped.get(pk=earlier_id).surname == "Newname"


def test_a_decision_must_be_chosen(client, anytown_secretary, proposed):
    review, _, _, _ = proposed
    client.force_login(anytown_secretary)
    response = client.post(reverse("voters:name_change_decide", args=[review.pk]), {}, follow=True)
    assert "Choose Same person or Different people" in response.content.decode()
    review.refresh_from_db()
    assert review.state == "proposed"


def test_bulk_accept_asks_first(client, anytown_secretary, proposed):
    review, earlier_id, _, _ = proposed
    client.force_login(anytown_secretary)
    asked = client.post(reverse("voters:name_changes"), {"review": [review.pk]})
    assert asked.status_code == 200
    assert "Accept 1 pair" in asked.content.decode()
    review.refresh_from_db()
    assert review.state == "proposed"  # nothing merged until confirmed

    done = client.post(reverse("voters:name_changes"), {"review": [review.pk], "confirmed": "yes"})
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.state == "accepted"
    assert Elector.unscoped.get(pk=earlier_id).surname == "Newname"


def test_another_clp_cannot_see_or_decide(client, otherton_secretary, proposed):
    review, earlier_id, _, _ = proposed
    client.force_login(otherton_secretary)
    assert list(client.get(reverse("voters:name_changes")).context["page"]) == []
    assert (
        client.post(
            reverse("voters:name_change_decide", args=[review.pk]), {"decision": "accept"}
        ).status_code
        == 404
    )
    client.post(reverse("voters:name_changes"), {"review": [review.pk], "confirmed": "yes"})
    review.refresh_from_db()
    assert review.state == "proposed"


def test_bulk_accept_service_is_all_or_nothing(anytown_secretary, proposed):
    review, _, _, _ = proposed
    assert name_change_reviews_accept(reviews=[review, review], user=anytown_secretary) == 1


def test_accepting_moves_every_row_pointing_at_the_later_elector(anytown, anytown_secretary, proposed):
    """voters.merging finds the tables from Django's relations: a member link (members app) and a
    register entry move, and where both electors have a row one may hold once, the earlier's stays."""
    from tests.members.factories import MemberFactory

    review, earlier_id, _, _ = proposed
    later = review.later
    member = MemberFactory(constituency=anytown.constituency, elector=later)
    name_change_review_decide(review=review, accept=True, user=anytown_secretary)
    member.refresh_from_db()
    assert member.elector_id == earlier_id
    assert RegisterEntry.unscoped.filter(elector_id=earlier_id).count() == 2  # 2025's and 2026's


def test_a_name_change_in_a_monthly_update_is_counted_as_one(tmp_path, anytown, imported, run_import):
    person = copy.deepcopy(single(imported))
    elector = elector_of(person, anytown.constituency)
    person.surname = "Newname"
    record = run_import(
        write_update(tmp_path / "u.csv", [(CHANGE, person)]), anytown.constituency, kind="update"
    )
    assert record.status == RegisterImport.Status.DONE, record.errors
    assert (record.name_changes, record.changed, record.added, record.removed) == (1, 0, 0, 0)
    elector.refresh_from_db()
    assert elector.surname == "Newname"


def test_a_monthly_update_deleting_and_adding_under_a_new_surname_is_proposed(
    tmp_path, anytown, imported, run_import
):
    """Some councils record a marriage as a deletion and an addition under a new number."""
    person = single(imported)
    earlier = elector_of(person, anytown.constituency)
    added = copy.deepcopy(person)
    added.number, added.suffix, added.surname = 9000, 0, "Newname"
    record = run_import(
        write_update(tmp_path / "u.csv", [(DELETE, person), (ADD, added)]),
        anytown.constituency,
        kind="update",
    )
    assert record.status == RegisterImport.Status.DONE, record.errors
    assert (record.added, record.removed, record.to_review) == (1, 1, 1)
    review = NameChangeReview.unscoped.get()
    assert review.earlier_id == earlier.pk and review.later.surname == "Newname"


@pytest.mark.parametrize("pairs", [2, 60])
def test_review_page_query_count_is_fixed(
    client, anytown, anytown_secretary, pairs, django_assert_max_num_queries
):
    from tests.voters.factories import ElectorFactory, PropertyFactory

    for n in range(pairs):
        home = PropertyFactory(polling_district=anytown.polling_district)
        earlier = ElectorFactory(home=home, polling_district=anytown.polling_district, first_names="Jo")
        ContactFactory(elector=earlier)
        later = ElectorFactory(home=home, polling_district=anytown.polling_district, first_names="Jo")
        NameChangeReview.unscoped.create(
            earlier=earlier, later=later, later_summary=f"X-{n} Jo Wed", reason="test"
        )
    client.force_login(anytown_secretary)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("voters:name_changes"))
    assert response.context["page"].paginator.count == pairs
    assert response.content.decode().count("Same person</button>") == min(pairs, 50)
