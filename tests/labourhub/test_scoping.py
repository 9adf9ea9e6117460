from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from labourhub.models import Constituency, Grant, Role
from labourhub.scoping import Action, can, constituencies_for, needs_mfa
from labourhub.services import grant_create, grant_revoke
from tests.factories import GrantFactory, UserFactory, with_totp


def test_secretary_may_manage_members_only_in_own_clp(anytown, otherton, anytown_secretary):
    assert list(constituencies_for(anytown_secretary, Action.MANAGE_MEMBERS)) == [anytown.constituency]


def test_regional_grant_covers_every_constituency_in_the_region(anytown, otherton, regional_officer):
    allowed = set(constituencies_for(regional_officer, Action.REVIEW_ACCESS))
    assert allowed == {anytown.constituency, otherton.constituency}


def test_canvasser_cannot_see_members(anytown, anytown_canvasser):
    assert not can(anytown_canvasser, Action.VIEW_MEMBERS)
    assert can(anytown_canvasser, Action.CANVASS, anytown.constituency)


def test_campaign_roles_never_reach_casework(anytown):
    for role, user in anytown.users.items():
        if role is not Role.CASEWORKER:
            assert not can(user, Action.CASEWORK), role


def test_scoping_is_one_query_whatever_the_number_of_grants(anytown, django_assert_num_queries):
    user = anytown.user(Role.ORGANISER)
    for _ in range(20):
        GrantFactory(user=user, role=Role.ORGANISER)
    with django_assert_num_queries(1):
        list(constituencies_for(user, Action.ORGANISE))


def test_expired_grant_stops_working(anytown):
    user = UserFactory()
    GrantFactory(
        user=user,
        constituency=anytown.constituency,
        starts_at=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert not can(user, Action.CANVASS)
    assert Grant.all_objects.filter(user=user).count() == 1


def test_future_grant_does_not_work_yet(anytown):
    user = UserFactory()
    GrantFactory(user=user, constituency=anytown.constituency, starts_at=timezone.now() + timedelta(days=1))
    assert not can(user, Action.CANVASS)


def test_revoked_users_next_request_is_refused(client, anytown, anytown_secretary):
    organiser = UserFactory(email="new.organiser@anytown.example")
    grant = grant_create(
        user=organiser, role=Role.ORGANISER, area=anytown.constituency, granted_by=anytown_secretary
    )
    with_totp(organiser)
    client.force_login(organiser)
    assert client.get(reverse("admin:labourhub_pollingdistrict_changelist")).status_code == 200

    grant_revoke(grant=grant, revoked_by=anytown_secretary, reason="Left the party")

    assert client.get(reverse("admin:labourhub_pollingdistrict_changelist")).status_code == 302
    actions = [event.action for event in _audit_for(grant)]
    assert actions == ["grant.create", "grant.revoke"]


def _audit_for(grant):
    from labourhub.models import AuditEvent

    return AuditEvent.objects.filter(object_type="labourhub.grant", object_id=str(grant.pk)).order_by("at")


def test_grant_must_name_exactly_one_area(anytown):
    with pytest.raises(IntegrityError):
        GrantFactory(constituency=anytown.constituency, region=anytown.constituency.region)


def test_superuser_sees_every_constituency(anytown, otherton):
    operator = UserFactory(is_superuser=True)
    assert set(constituencies_for(operator, Action.VIEW_VOTERS)) == set(Constituency.objects.all())


def test_mfa_required_for_officers_not_canvassers(anytown):
    assert needs_mfa(anytown.user(Role.CLP_SECRETARY))
    assert needs_mfa(anytown.user(Role.CASEWORKER))
    assert not needs_mfa(anytown.user(Role.CANVASSER))
    assert not needs_mfa(anytown.user(Role.TELLER))


def test_require_is_the_one_view_check_for_every_app(anytown, otherton, anytown_secretary, anytown_canvasser):
    """voters, members and gotv views all call labourhub.scoping.require: a role that allows the action
    passes, anywhere or in its own CLP; no role, another CLP or a signed-out visitor is a 403."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from labourhub.scoping import require

    require(anytown_secretary, Action.MANAGE_MEMBERS)
    require(anytown_secretary, Action.MANAGE_MEMBERS, anytown.constituency)
    require(UserFactory(is_superuser=True), Action.MANAGE_VOTERS)
    for user, action, constituency in [
        (anytown_canvasser, Action.VIEW_MEMBERS, None),
        (anytown_secretary, Action.MANAGE_MEMBERS, otherton.constituency),
        (AnonymousUser(), Action.CANVASS, None),
    ]:
        with pytest.raises(PermissionDenied, match="no role that allows this"):
            require(user, action, constituency)
