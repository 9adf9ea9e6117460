"""Factories for the register. Anytown's records carry "Anytown" in a personal field (see conftest)."""

import factory
from django.utils import timezone

from tests.factories import ModelFactory, PollingDistrictFactory
from voters.models import Contact, Elector, Property


class PropertyFactory(ModelFactory):
    class Meta:
        model = Property

    polling_district = factory.SubFactory(PollingDistrictFactory)
    house_number = factory.Sequence(lambda n: n + 1)
    street = "High Street"
    address = factory.LazyAttribute(lambda p: f"{p.house_number} {p.street}")
    postcode = "AB11AA"
    postcode_display = "AB1 1AA"
    address_key = factory.Sequence(lambda n: f"{n:032x}")


class ElectorFactory(ModelFactory):
    class Meta:
        model = Elector

    home = factory.SubFactory(PropertyFactory)
    polling_district = factory.SelfAttribute("home.polling_district")
    elector_number = factory.Sequence(lambda n: n + 1)
    elector_number_raw = factory.LazyAttribute(lambda e: f"{e.polling_district.code}-{e.elector_number}")
    first_names = factory.Faker("first_name", locale="en_GB")
    surname = factory.Faker("last_name", locale="en_GB")
    first_seen_month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    match_key = factory.Sequence(lambda n: f"key{n}")


class ContactFactory(ModelFactory):
    class Meta:
        model = Contact

    elector = factory.SubFactory(ElectorFactory)
    channel = "door"
