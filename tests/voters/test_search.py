"""Find a voter on a big register: the capped count, name order, and streets with many homes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from labourhub.models import AuditEvent, Role
from voters.models import Elector, Property
from voters.search import COUNT_CAP, FEW_HOMES


@pytest.fixture
def anytown_organiser(anytown):
    """Searching the register is for roles with MFA (tests/labourhub/test_least_privilege.py)."""
    return anytown.user(Role.ORGANISER)


def make_street(anytown, homes, electors_per_home=1, street="Anytown Road", postcode="AT19ZZ"):
    """`homes` properties on one street, each with `electors_per_home` electors, in two queries."""
    pd = anytown.polling_district
    properties = Property.unscoped.bulk_create(
        Property(
            polling_district=pd,
            address_key=f"{street}-{n}",
            address=f"{n} {street}, Anytown",
            street=street,
            house_number=n,
            postcode=postcode,
            postcode_display=f"{postcode[:-3]} {postcode[-3:]}",
        )
        for n in range(1, homes + 1)
    )
    month = timezone.localdate().replace(day=1)
    return Elector.unscoped.bulk_create(
        Elector(
            polling_district=pd,
            home=home,
            elector_number=n * 10 + k,
            elector_number_raw=f"{pd.code}-{n * 10 + k}",
            surname=f"Anytownson{n:04d}",
            first_names=f"Voter{k}",
            first_seen_month=month,
            match_key=f"k{n}-{k}",
        )
        for n, home in enumerate(properties, start=1)
        for k in range(electors_per_home)
    )


def test_a_broad_search_says_more_than_the_cap_and_pages_the_first_ones(
    client, anytown, anytown_organiser, django_assert_max_num_queries
):
    make_street(anytown, homes=COUNT_CAP // 2 + 1, electors_per_home=2)  # 1,002 electors in AT1 9ZZ
    client.force_login(anytown_organiser)
    with django_assert_max_num_queries(10):  # 9, and the MFA check
        response = client.get(reverse("voters:search"), {"q": "AT1"})
    page = response.context["page"]
    assert page.paginator.more_than_cap and page.paginator.count == COUNT_CAP
    assert page.paginator.num_pages == COUNT_CAP // 50
    assert "More than 1,000 found: showing the first 1,000 by name." in response.content.decode()
    assert [e.surname for e in page][:3] == ["Anytownson0001", "Anytownson0001", "Anytownson0002"]
    assert AuditEvent.objects.get(action="elector.search", user=anytown_organiser).detail == {
        "q": "AT1",
        "found": COUNT_CAP,
        "more": True,
    }
    last = client.get(reverse("voters:search"), {"q": "AT1", "page": 20}).context["page"]
    assert last.number == 20 and len(last) == 50


def test_a_narrow_search_gives_the_exact_count(client, anytown, anytown_organiser):
    make_street(anytown, homes=3)
    client.force_login(anytown_organiser)
    response = client.get(reverse("voters:search"), {"q": "AT1 9ZZ"})
    assert response.context["page"].paginator.count == 3
    assert not response.context["page"].paginator.more_than_cap
    assert "<p>3 found.</p>" in response.content.decode()


def test_results_are_in_name_order_whatever_the_case(client, anytown, anytown_organiser):
    people = make_street(anytown, homes=4)
    for person, (surname, first) in zip(
        people,
        [("anytownson", "zoe"), ("ANYTOWNSON", "Adam"), ("Anytownsen", "Bea"), ("Anytownson", "bob")],
        strict=True,
    ):
        person.surname, person.first_names = surname, first
        person.save(update_fields=["surname", "first_names"])
    client.force_login(anytown_organiser)
    page = client.get(reverse("voters:search"), {"q": "anytowns"}).context["page"]
    assert [(e.surname, e.first_names) for e in page] == [
        ("Anytownsen", "Bea"),
        ("ANYTOWNSON", "Adam"),
        ("Anytownson", "bob"),
        ("anytownson", "zoe"),
    ]


def test_a_street_with_many_homes_is_found_whole(
    client, anytown, otherton, anytown_organiser, django_assert_max_num_queries
):
    make_street(anytown, homes=FEW_HOMES + 5)
    make_street(otherton, homes=3, street="Anytown Row", postcode="OT19ZZ")  # another CLP's: not found
    client.force_login(anytown_organiser)
    with django_assert_max_num_queries(10):  # 9, and the MFA check
        page = client.get(reverse("voters:search"), {"q": "anytown ro"}).context["page"]
    assert page.paginator.count == FEW_HOMES + 5
    assert all(e.home.street == "Anytown Road" for e in page)
