"""The API's contact write, made cheaper (issue 18, Performance), keeps every rule: the pack rule
compiled once per process answers as the pages' own queryset, a grant revoked a moment ago is
refused on the next call, and a write costs the statements it is pinned to."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import CallList, Pack
from labourhub.api_v1.models import Scope
from labourhub.models import Grant, Role
from labourhub.scoping import Action
from labourhub.scoping_sql import row_for_user_sql
from labourhub.services import grant_revoke
from tests.api.conftest import bearer, make_token
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.factories import UserFactory
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.usefixtures("generous_rate_limits")


def _open(model, user, pk):
    sql, params = row_for_user_sql(model, Action.CANVASS, user, pk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", params)
        return cursor.fetchone()[0]


def _door(clp, surname):
    home = PropertyFactory(polling_district=clp.polling_district)
    return home, ElectorFactory(home=home, surname=surname)


def test_the_compiled_pack_and_call_list_rule_answers_as_the_pages_queryset(anytown, otherton):
    canvasser = anytown.user(Role.CANVASSER)
    given, not_given, theirs = (
        pack_with_doors(campaign_with_survey(clp.constituency), [_door(clp, "Anytownson")[0]])
        for clp in (anytown, anytown, otherton)
    )
    given.assigned_to = canvasser
    given.save(update_fields=["assigned_to"])
    calls = [
        CallList.unscoped.create(campaign=c, name="Calls")
        for c in (given.walk_list.campaign, theirs.walk_list.campaign)
    ]
    revoked = UserFactory(email="revoked@shapes.example")
    Grant.all_objects.create(
        user=revoked, role=Role.ORGANISER, constituency=anytown.constituency, revoked_at=timezone.now()
    )
    inactive = UserFactory(email="inactive@shapes.example", is_active=False)
    Grant.all_objects.create(user=inactive, role=Role.ORGANISER, constituency=anytown.constituency)
    superuser = UserFactory(email="root@shapes.example", is_superuser=True)
    users = [*anytown.users.values(), *otherton.users.values(), revoked, inactive, superuser]
    seen = set()
    for user in users:
        for model, rows in ((Pack, (given, not_given, theirs)), (CallList, calls)):
            for row in rows:
                expected = model.objects.for_user(user, Action.CANVASS).filter(pk=row.pk).exists()
                assert _open(model, user, row.pk) == expected, (user.email, model.__name__, row.pk)
                seen.add(expected)
    assert seen == {True, False}  # the shapes tell open from shut
    assert _open(Pack, canvasser, given.pk) and not _open(Pack, canvasser, not_given.pk)
    assert _open(Pack, anytown.user(Role.ORGANISER), not_given.pk)
    assert not _open(Pack, anytown.user(Role.ORGANISER), theirs.pk)


def _write(client, pack, elector, **extra):
    body = {"pack": pack.pk, "elector": elector.pk, "outcome": "spoke"}
    return client.post("/api/v1/contacts/", json.dumps(body), content_type="application/json", **extra)


def test_a_canvasser_whose_pack_is_taken_away_is_refused_on_the_next_write(anytown):
    canvasser = anytown.user(Role.CANVASSER)
    home, elector = _door(anytown, "Anytownson")
    pack = pack_with_doors(campaign_with_survey(anytown.constituency), [home])
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    _, secret = make_token(canvasser, scopes=[Scope.CONTACTS_WRITE])
    client = bearer(secret)
    assert _write(client, pack, elector).status_code == 201
    pack.assigned_to = None
    pack.save(update_fields=["assigned_to"])
    refused = _write(client, pack, elector)
    assert refused.status_code == 422
    assert "is not open to you" in refused.json()["detail"]
    grant_revoke(grant=Grant.objects.get(user=canvasser), revoked_by=None)
    assert _write(client, pack, elector).status_code == 403


def test_a_contact_write_costs_its_pinned_statements(anytown, django_assert_max_num_queries):
    """Issue 18's write: the token with its owner's MFA and grant checks (one statement:
    labourhub/api_v1/token_sql.py), the idempotency row, the pack with its rule, the elector with
    whether a tombstone covers them, the outcome code, the visit with its contact, the elector's last
    contact and whether anyone subscribes to contacts (one statement: campaigns/recording_sql.py), the
    audit row, the stored answer: 10 with the transaction's two (14 when the token, MFA, grant,
    suppression and webhook looks were statements of their own; 23 before recording_sql)."""
    canvasser = anytown.user(Role.CANVASSER)
    doors = [_door(anytown, "Anytownson") for _ in range(2)]
    pack = pack_with_doors(campaign_with_survey(anytown.constituency), [home for home, _ in doors])
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    _, secret = make_token(canvasser, scopes=[Scope.CONTACTS_WRITE])
    client = bearer(secret)
    electors = [elector for _, elector in doors]
    assert _write(client, pack, electors[0], HTTP_IDEMPOTENCY_KEY="first").status_code == 201
    with django_assert_max_num_queries(10):  # the token's last use is written at most once a minute
        assert _write(client, pack, electors[1], HTTP_IDEMPOTENCY_KEY="second").status_code == 201
