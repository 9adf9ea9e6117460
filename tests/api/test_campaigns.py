"""/api/v1/campaigns/ and /api/v1/surveys/ (issue 18, item 1): campaigns:read, read as the campaign
page does (ORGANISE), with each survey version's questions and the answers each takes."""

import pytest

from labourhub.api_v1.models import Scope
from labourhub.models import AuditEvent, Role
from tests.api.conftest import bearer, make_token
from tests.campaigns.factories import campaign_with_survey

pytestmark = pytest.mark.usefixtures("generous_rate_limits")


def test_an_organisers_token_reads_campaigns_and_surveys_with_their_answers(anytown, otherton):
    ours = campaign_with_survey(anytown.constituency)
    campaign_with_survey(otherton.constituency, name="Otherton campaign")
    organiser = anytown.user(Role.ORGANISER)
    token, secret = make_token(organiser, [Scope.CAMPAIGNS_READ])
    client = bearer(secret)
    campaigns = client.get("/api/v1/campaigns/").json()["results"]
    assert [(c["id"], c["name"]) for c in campaigns] == [(ours.pk, "Anytown spring campaign")]
    (survey,) = client.get("/api/v1/surveys/", {"campaign": ours.pk}).json()["results"]
    (version,) = survey["versions"]
    assert version["id"] == ours.current_survey_version().pk
    questions = {q["key"]: q for q in version["questions"]}
    intention = next(q for q in questions.values() if q["kind"] == "intention")
    assert {"value": "L", "label": "Labour"} in intention["options"]
    issues = next(q for q in questions.values() if q["kind"] == "issues")
    assert issues["options"] and all(set(o) == {"value", "label"} for o in issues["options"])
    event = AuditEvent.objects.get(action="campaigns.api.surveys")
    assert event.user == organiser and event.detail["token"] == token.pk
    bad = client.get("/api/v1/surveys/", {"campaign": "spring"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "campaign"


def test_another_clps_organiser_sees_none_of_them(anytown, otherton):
    campaign_with_survey(anytown.constituency)
    _, secret = make_token(otherton.user(Role.ORGANISER), [Scope.CAMPAIGNS_READ])
    assert bearer(secret).get("/api/v1/campaigns/").json()["results"] == []
    assert bearer(secret).get("/api/v1/surveys/").json()["results"] == []


def test_without_the_scope_or_the_organisers_grant_it_is_refused(anytown):
    campaign_with_survey(anytown.constituency)
    _, other_scope = make_token(anytown.user(Role.ORGANISER), [Scope.WALKLISTS_READ])
    refused = bearer(other_scope).get("/api/v1/surveys/")
    assert refused.status_code == 403 and "campaigns:read" in refused.json()["detail"]
    _, canvassers = make_token(anytown.user(Role.CANVASSER), [Scope.CAMPAIGNS_READ])
    assert bearer(canvassers).get("/api/v1/campaigns/").status_code == 403  # as the campaign page
