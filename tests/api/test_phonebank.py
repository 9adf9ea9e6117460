"""/api/v1/call-lists/ and /api/v1/call-outcomes/ (issue 18, item 1): phonebank:read, call lists as
the phone bank's list page scopes them (CANVASS), each person's outcome as the visits page (ORGANISE)."""

import uuid

import pytest

from campaigns.models import PhoneNumber
from campaigns.services import call_claim_next, call_list_create, call_record
from labourhub.api_v1.models import Scope
from labourhub.models import Role
from tests.api.conftest import bearer, make_token
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.usefixtures("generous_rate_limits")


@pytest.fixture
def calls(anytown):
    """A call list of two people: the first called (no answer, to call back), the second waiting."""
    campaign = campaign_with_survey(anytown.constituency)
    for n in range(2):
        elector = ElectorFactory(
            home=PropertyFactory(polling_district=anytown.polling_district), surname=f"Anytownson{n}"
        )
        PhoneNumber.unscoped.create(elector=elector, number=f"0770090{n:04d}")
    call_list = call_list_create(campaign=campaign, name="Anytown evening calls", criteria={})
    caller = anytown.user(Role.CANVASSER)
    entry = call_claim_next(call_list=call_list, user=caller)
    call_record(entry=entry, user=caller, outcome="no_answer", client_uuid=uuid.uuid4())
    return {"list": call_list, "called": entry}


def test_a_callers_token_reads_the_call_list_and_its_progress_not_each_person(anytown, calls):
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.PHONEBANK_READ])
    api = bearer(secret)
    (row,) = api.get("/api/v1/call-lists/").json()["results"]
    assert (row["id"], row["entry_count"], row["waiting"], row["done"]) == (calls["list"].pk, 2, 2, 0)
    assert api.get("/api/v1/call-outcomes/").status_code == 403  # per person: organisers only


def test_an_organiser_reads_each_persons_latest_outcome(anytown, calls):
    _, secret = make_token(anytown.user(Role.ORGANISER), [Scope.PHONEBANK_READ])
    rows = bearer(secret).get("/api/v1/call-outcomes/", {"call_list": calls["list"].pk}).json()["results"]
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == 2
    called = by_id[calls["called"].pk]
    assert called["outcome"] == "no_answer" and called["attempts"] == 1 and called["call_back_at"]
    (waiting,) = [row for row in rows if row["id"] != calls["called"].pk]
    assert waiting["outcome"] is None and waiting["status"] == "waiting"


def test_another_clp_sees_nothing_and_a_token_without_the_scope_is_refused(anytown, otherton, calls):
    _, secret = make_token(otherton.user(Role.ORGANISER), [Scope.PHONEBANK_READ])
    api = bearer(secret)
    assert api.get("/api/v1/call-lists/").json()["results"] == []
    assert api.get("/api/v1/call-outcomes/", {"call_list": calls["list"].pk}).json()["results"] == []
    _, unscoped = make_token(anytown.user(Role.ORGANISER), [Scope.CAMPAIGNS_READ])
    refused = bearer(unscoped).get("/api/v1/call-outcomes/")
    assert refused.status_code == 403 and "phonebank:read" in refused.json()["detail"]
