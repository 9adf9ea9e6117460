"""labourhub.scoping_sql gives scoping's answers, asked afresh on every call (only SQL is kept)."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from labourhub import scoping, scoping_sql
from labourhub.models import Constituency, Role
from labourhub.scoping import Action, can, constituencies_for, needs_mfa
from labourhub.services import grant_revoke
from tests.factories import ConstituencyFactory, GrantFactory, RegionFactory, UserFactory, with_totp


def _ids(user, action):
    sql, params = scoping_sql.constituencies_sql(user, action)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _grant_shapes(anytown, otherton):
    """Users holding every kind of grant: live, revoked, expired, not started, regional, several."""
    now = timezone.now()
    users = {}

    def holder(label, **grant):
        user = UserFactory(email=f"{label}@shapes.example")
        if grant:
            GrantFactory(user=user, **grant)
        users[label] = user
        return user

    holder("no grant")
    holder("teller", role=Role.TELLER, constituency=anytown.constituency)
    holder("revoked", role=Role.TELLER, constituency=anytown.constituency, revoked_at=now)
    holder(
        "expired",
        role=Role.ORGANISER,
        constituency=anytown.constituency,
        expires_at=now - timedelta(seconds=1),
    )
    holder(
        "expires later",
        role=Role.ORGANISER,
        constituency=anytown.constituency,
        expires_at=now + timedelta(hours=1),
    )
    holder(
        "not started", role=Role.TELLER, constituency=anytown.constituency, starts_at=now + timedelta(hours=1)
    )
    holder("regional", role=Role.REGIONAL_STAFF, constituency=None, region=anytown.constituency.region)
    two = holder("two clps", role=Role.CANVASSER, constituency=anytown.constituency)
    GrantFactory(user=two, role=Role.CLP_SECRETARY, constituency=otherton.constituency)
    holder("superuser")
    users["superuser"].is_superuser = True
    users["superuser"].save(update_fields=["is_superuser"])
    holder("inactive", role=Role.TELLER, constituency=anytown.constituency)
    users["inactive"].is_active = False
    users["inactive"].save(update_fields=["is_active"])
    for role, user in [*anytown.users.items(), *otherton.users.items()]:
        users[f"{role.value} persona"] = user
    return users


def test_constituencies_sql_answers_as_constituencies_for(anytown, otherton):
    users = _grant_shapes(anytown, otherton)
    for label, user in users.items():
        for action in Action:
            expected = set(constituencies_for(user, action).values_list("pk", flat=True))
            assert _ids(user, action) == expected, (label, action)
    # The shapes do tell allowed from refused (else the comparison above proves little).
    assert _ids(users["teller"], Action.TELL) == {anytown.constituency.pk}
    assert _ids(users["revoked"], Action.TELL) == set()
    assert _ids(users["expired"], Action.ORGANISE) == set()
    assert _ids(users["regional"], Action.REVIEW_ACCESS) == {
        anytown.constituency.pk,
        otherton.constituency.pk,
    }


def test_a_revoked_teller_is_refused_on_the_next_call(anytown, anytown_secretary):
    teller = UserFactory()
    grant = GrantFactory(user=teller, role=Role.TELLER, constituency=anytown.constituency)
    assert _ids(teller, Action.TELL) == {anytown.constituency.pk}

    grant_revoke(grant=grant, revoked_by=anytown_secretary, reason="Went home")

    assert _ids(teller, Action.TELL) == set()


def test_another_users_answer_is_never_reused(anytown, otherton):
    assert _ids(anytown.user(Role.TELLER), Action.TELL) == {anytown.constituency.pk}
    assert _ids(otherton.user(Role.TELLER), Action.TELL) == {otherton.constituency.pk}


def test_a_rule_that_reads_more_of_the_user_than_its_pk_is_refused(anytown, monkeypatch):
    """The template is only valid while the rule depends on the user through its pk alone."""

    def by_email(user, action):
        return Constituency.objects.filter(name=user.email)

    monkeypatch.setattr(scoping, "constituencies_for", by_email)
    with pytest.raises(RuntimeError, match="only through its pk"):
        scoping_sql.constituencies_sql(anytown.user(Role.TELLER), Action.TELL)


def test_a_patched_rule_is_the_one_used(anytown, otherton, monkeypatch):
    """The cache is keyed by the rule itself: the walker's scoping-off self-test still bites."""
    teller = anytown.user(Role.TELLER)
    assert _ids(teller, Action.TELL) == {anytown.constituency.pk}
    monkeypatch.setattr(scoping, "constituencies_for", lambda user, action: Constituency.objects.all())
    assert _ids(teller, Action.TELL) == set(Constituency.objects.values_list("pk", flat=True))


def test_mfa_missing_is_needs_mfa_without_totp(anytown, otherton):
    users = _grant_shapes(anytown, otherton)
    with_totp(users["regional"])
    for label, user in users.items():
        if not user.is_active:
            continue  # never signed in: the middleware only sees active users
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert scoping_sql.mfa_missing(user) == (needs_mfa(user) and not has_totp), label
    assert scoping_sql.mfa_missing(users["two clps"])  # a secretary somewhere, no TOTP
    assert not scoping_sql.mfa_missing(users["regional"])  # has TOTP
    assert scoping_sql.mfa_missing(users["superuser"])
    assert not scoping_sql.mfa_missing(users["teller"])


def test_can_answers_as_the_orm_rule_for_every_user_action_and_constituency(anytown, otherton):
    """scoping.can runs the compiled rule: its answer is constituencies_for(...).exists() (narrowed to
    the constituency when one is given) for every kind of user, action and constituency."""
    users = _grant_shapes(anytown, otherton) | {"signed out": AnonymousUser()}
    elsewhere = ConstituencyFactory(name="Elsewhere", region=RegionFactory(name="Eastland"))
    places = [None, anytown.constituency, otherton.constituency, elsewhere]
    answers = set()
    for label, user in users.items():
        for action in Action:
            for place in places:
                rule = constituencies_for(user, action)
                expected = (rule if place is None else rule.filter(pk=place.pk)).exists()
                assert can(user, action, place) == expected, (label, action, place)
                answers.add((label, action, place, expected))
    # The matrix does tell allowed from refused, anywhere from here.
    assert ("teller", Action.TELL, anytown.constituency, True) in answers
    assert ("teller", Action.TELL, otherton.constituency, False) in answers
    assert ("teller", Action.ORGANISE, None, False) in answers
    assert ("regional", Action.REVIEW_ACCESS, otherton.constituency, True) in answers
    assert ("regional", Action.REVIEW_ACCESS, elsewhere, False) in answers
    assert ("superuser", Action.CASEWORK, elsewhere, True) in answers
    assert ("inactive", Action.TELL, anytown.constituency, False) in answers
    assert ("signed out", Action.TELL, None, False) in answers


def test_can_runs_one_statement_and_compiles_nothing_after_the_first_call(anytown, django_assert_num_queries):
    teller = anytown.user(Role.TELLER)
    assert can(teller, Action.TELL, anytown.constituency)
    with django_assert_num_queries(1):
        assert can(teller, Action.TELL, anytown.constituency)
    with django_assert_num_queries(0):
        assert not can(AnonymousUser(), Action.TELL)


def test_a_revoked_grant_is_refused_by_can_on_the_next_call(anytown, anytown_secretary):
    teller = UserFactory()
    grant = GrantFactory(user=teller, role=Role.TELLER, constituency=anytown.constituency)
    assert can(teller, Action.TELL, anytown.constituency)
    grant_revoke(grant=grant, revoked_by=anytown_secretary, reason="Went home")
    assert not can(teller, Action.TELL, anytown.constituency)
    assert not can(teller, Action.TELL)


def test_a_rule_asked_with_the_user_as_a_column_answers_as_with_the_users_key(anytown, otherton):
    """An API token's statement finds the owner and asks the grant and MFA rules in the same breath,
    the owner being a column of it (UserColumn): for every active user who is not a superuser, the
    answers are those of the rules bound to the user's key, for every action."""
    users = _grant_shapes(anytown, otherton)
    with_totp(users["regional"])
    owner = scoping_sql.UserColumn("u.id")
    answers = set()
    with connection.cursor() as cursor:
        for label, user in users.items():
            if not user.is_active or user.is_superuser:
                continue  # the API refuses an inactive owner and lets a superuser by before asking
            mfa_sql, mfa_params = scoping_sql.mfa_missing_sql(owner, "u.is_superuser")
            cursor.execute(f"SELECT {mfa_sql} FROM labourhub_user u WHERE u.id = %s", [*mfa_params, user.pk])
            assert cursor.fetchone()[0] == scoping_sql.mfa_missing(user), label
            for action in Action:
                sql, params = scoping_sql.constituencies_sql(owner, action)
                assert "u.id" in sql and user.pk not in params  # the user is the column, not a value
                cursor.execute(
                    f"SELECT ARRAY({sql}) FROM labourhub_user u WHERE u.id = %s", [*params, user.pk]
                )
                found = set(cursor.fetchone()[0])
                assert found == _ids(user, action), (label, action)
                answers.add((label, action, bool(found)))
    assert ("teller", Action.TELL, True) in answers and ("teller", Action.ORGANISE, False) in answers
    assert ("revoked", Action.TELL, False) in answers and ("expires later", Action.ORGANISE, True) in answers
