"""Two deciders at once, on two real database connections: one wins, the other is told."""

import threading

import pytest
from django.db import connection

from access.models import Decision, Status
from access.services import AccessError, request_decide
from labourhub.models import Role
from tests.access.factories import canvassing_tool, make_eligible, submit
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_endorsers_at_once_one_wins(anytown):
    member = make_eligible(
        UserFactory(email="kim@anytown.example", full_name="Kim Anytownson"), anytown.constituency
    )
    access_request = submit(canvassing_tool(), member, anytown.constituency)
    deciders = [anytown.user(Role.CLP_SECRETARY), anytown.user(Role.CLP_OFFICER)]
    start = threading.Barrier(2)
    outcomes = []

    def decide(user):
        try:
            start.wait()
            request_decide(
                access_request_id=access_request.pk,
                user=user,
                decision="endorse",
                expected_status=Status.ENDORSEMENT,
            )
            outcomes.append("won")
        except AccessError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(user,)) for user in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=lambda o: o != "won")[0] == "won"
    assert outcomes.count("won") == 1
    loser = next(o for o in outcomes if o != "won")
    assert loser.startswith("Someone decided first") and "Nothing was changed" in loser
    assert Decision.objects.filter(request=access_request, outcome=Decision.Outcome.ENDORSED).count() == 1
    access_request.refresh_from_db()
    assert access_request.status == Status.REVIEW
