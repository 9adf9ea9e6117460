"""Factories for members. Anytown's carry "Anytown" in a personal field, for the scoping walker."""

import factory
from django.utils import timezone

from members.models import EmailSend, Member, Volunteer
from tests.factories import ModelFactory


class MemberFactory(ModelFactory):
    class Meta:
        model = Member

    membership_number = factory.Sequence(lambda n: f"A{100000 + n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Sequence(lambda n: f"Anytownson{n}")
    email = factory.Sequence(lambda n: f"member{n}@anytown.example")
    postcode = "AN1 1AA"
    joined_on = factory.LazyFunction(lambda: timezone.localdate().replace(year=2020))
    consent_email = True


class VolunteerFactory(ModelFactory):
    class Meta:
        model = Volunteer

    member = factory.SubFactory(MemberFactory)
    skills = factory.LazyFunction(lambda: ["driving"])


class EmailSendFactory(ModelFactory):
    class Meta:
        model = EmailSend

    subject = "News from Anytown"
    body = "Dear {{first_name}},\n\nCome to the **Anytown** meeting."
