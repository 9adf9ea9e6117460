"""/api/v1/access/ (issue 18, item 1): a person's own holdings and requests, the requests they may
decide (asked afresh on every call), and asking for access for oneself through access's own service."""

import pytest
from django.utils import timezone

from access.models import AccessRequest, Decision, Status
from labourhub.api_v1.models import Scope
from labourhub.models import AuditEvent, Grant, Role
from labourhub.services import grant_revoke
from tests.access.factories import ToolFactory, make_eligible, submit
from tests.api.conftest import bearer, make_token
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("generous_rate_limits")
REQUESTS, HOLDINGS = "/api/v1/access/requests/", "/api/v1/access/holdings/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _ask(tool, constituency, **extra):
    return {
        "tool": tool.slug,
        "constituency": constituency.gss_code,
        "reason": "Saturday sessions",
        "needed_by": (timezone.localdate() + timezone.timedelta(days=7)).isoformat(),
    } | extra


@pytest.fixture
def member(anytown):
    """A member of Anytown with no role, trained: eligible to ask for canvassing."""
    return make_eligible(UserFactory(email="volunteer@anytown.example"), anytown.constituency)


def test_a_member_asks_for_access_through_the_request_service_and_reads_it_back(anytown, member):
    tool = ToolFactory(name="Doorstep", slug="doorstep")
    _, secret = make_token(member, [Scope.ACCESS_READ, Scope.ACCESS_WRITE])
    client = bearer(secret)
    response = client.post(REQUESTS, _ask(tool, anytown.constituency), format="json")
    assert response.status_code == 201, response.content
    made = AccessRequest.objects.get(pk=response.json()["id"])
    assert (made.requester, made.submitted_by, made.status) == (member, member, Status.ENDORSEMENT)
    assert made.decisions.get().outcome == Decision.Outcome.SUBMITTED
    assert AuditEvent.objects.filter(action="access.request.submit", user=member).exists()
    assert _ids(client.get(REQUESTS)) == [made.pk]
    assert _ids(client.get(HOLDINGS)) == []
    # The request page's checks: a second open request for the same tool is refused, saying why.
    again = client.post(REQUESTS, _ask(tool, anytown.constituency), format="json")
    assert again.status_code == 422 and "already has an open request" in again.json()["detail"]
    assert AccessRequest.objects.count() == 1


def test_bad_input_is_a_problem_naming_the_field(anytown, otherton, member):
    tool = ToolFactory(name="Doorstep", slug="doorstep")
    client = bearer(make_token(member, [Scope.ACCESS_WRITE])[1])
    other_clp = client.post(REQUESTS, _ask(tool, otherton.constituency), format="json")
    assert other_clp.status_code == 400 and other_clp.json()["errors"][0]["field"] == "constituency"
    no_tool = client.post(REQUESTS, _ask(tool, anytown.constituency) | {"tool": "nothing"}, format="json")
    assert no_tool.status_code == 400 and no_tool.json()["errors"][0]["field"] == "tool"
    bad_date = client.post(REQUESTS, _ask(tool, anytown.constituency, needed_by="next week"), format="json")
    assert bad_date.status_code == 400 and bad_date["Content-Type"] == "application/problem+json"
    assert bad_date.json()["errors"][0]["field"] == "needed_by"
    assert not AccessRequest.objects.exists()


def test_the_endorser_reads_the_requests_to_decide_until_their_grant_ends(anytown, otherton, member):
    tool = ToolFactory(name="Doorstep", slug="doorstep")
    asked = submit(tool, member, anytown.constituency)
    secretary = anytown.user(Role.CLP_SECRETARY)
    client = bearer(make_token(secretary, [Scope.ACCESS_READ])[1])
    assert _ids(client.get(REQUESTS)) == [asked.pk]
    assert _ids(client.get(REQUESTS, {"mine": "true"})) == []
    assert (
        _ids(bearer(make_token(otherton.user(Role.CLP_SECRETARY), [Scope.ACCESS_READ])[1]).get(REQUESTS))
        == []
    )
    grant_revoke(
        grant=Grant.objects.get(user=secretary), revoked_by=anytown.user(Role.CLP_OFFICER), reason="left"
    )
    assert _ids(client.get(REQUESTS)) == []  # the next call: no longer a decider


def test_a_token_without_the_scope_is_refused(member):
    client = bearer(make_token(member, [Scope.ACCESS_READ])[1])
    assert client.get(HOLDINGS).status_code == 200
    refused = client.post(REQUESTS, {}, format="json")
    assert refused.status_code == 403 and "access:write" in refused.json()["detail"]
    assert bearer(make_token(member, [Scope.MEMBERS_READ])[1]).get(HOLDINGS).status_code == 403
