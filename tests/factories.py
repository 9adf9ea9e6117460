"""Factories for the core models. Apps add their own in tests/<app>/factories.py."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from labourhub.models import Branch, Constituency, Grant, PollingDistrict, Region, Role, User, Ward

PASSWORD = "correct-horse-battery-staple"


class ModelFactory(factory.django.DjangoModelFactory):
    """Base of every factory: creates through the model's default manager, which for a ScopedModel
    is `unscoped` (its `objects` answers only `.for_user(user, action)`)."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class._default_manager.db_manager(cls._meta.database)


class RegionFactory(ModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"E15{n:06d}")


class ConstituencyFactory(ModelFactory):
    class Meta:
        model = Constituency
        django_get_or_create = ["gss_code"]

    name = factory.Sequence(lambda n: f"Constituency {n}")
    gss_code = factory.Sequence(lambda n: f"E14{n:06d}")
    region = factory.SubFactory(RegionFactory)


class WardFactory(ModelFactory):
    class Meta:
        model = Ward

    constituency = factory.SubFactory(ConstituencyFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    code = factory.Sequence(lambda n: f"E05{n:06d}")


class BranchFactory(ModelFactory):
    class Meta:
        model = Branch

    constituency = factory.SubFactory(ConstituencyFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"B{n}")


class PollingDistrictFactory(ModelFactory):
    class Meta:
        model = PollingDistrict

    constituency = factory.SubFactory(ConstituencyFactory)
    ward = factory.SubFactory(WardFactory, constituency=factory.SelfAttribute("..constituency"))
    code = factory.Sequence(lambda n: f"PD{n}")


class UserFactory(ModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.get_or_create(user=user, email=user.email, verified=True, primary=True)


class GrantFactory(ModelFactory):
    class Meta:
        model = Grant

    user = factory.SubFactory(UserFactory)
    role = Role.CANVASSER
    constituency = factory.SubFactory(ConstituencyFactory)
    region = None
    starts_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))


def with_totp(user):
    """Give a user a TOTP authenticator, as if they had set up MFA. Returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
