import uuid

from campaigns.services import canvass_record_visit
from labourhub.models import AuditEvent, Role
from tests.campaigns.factories import campaign_with_survey
from tests.voters.factories import ElectorFactory, PropertyFactory


def test_organisers_read_visits_with_intentions_and_issues(client, anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district), surname="Anytownson"
    )
    canvass_record_visit(
        canvasser=anytown_canvasser,
        campaign=campaign,
        elector=elector,
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        answers={"vi": {"code": "LD", "strength": "soft"}, "issues": ["bins"]},
        survey_version=campaign.current_survey_version(),
    )
    client.force_login(anytown.user(Role.ORGANISER))
    body = client.get("/api/campaigns/visits/", {"campaign": campaign.pk}).json()
    [visit] = body["results"]
    assert visit["intention"] == {"code": "LD", "strength": "soft"}
    assert visit["issues"] == ["bins"] and visit["polling_district"] == "AN1"
    assert AuditEvent.objects.filter(action="campaigns.api.visits").exists()


def test_canvassers_and_other_clps_see_no_visits(client, anytown, otherton, anytown_canvasser):
    campaign_with_survey(anytown.constituency)
    for user in (anytown_canvasser, otherton.user(Role.ORGANISER)):
        client.force_login(user)
        assert client.get("/api/campaigns/visits/").json()["results"] == []


def test_bad_filters_are_a_clear_400(client, anytown):
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get("/api/campaigns/visits/", {"since": "yesterday"})
    assert response.status_code == 400 and "since" in response.json()


def test_an_impossible_date_is_a_clear_400(client, anytown):
    client.force_login(anytown.user(Role.ORGANISER))
    response = client.get("/api/campaigns/visits/", {"since": "2026-13-45T10:00:00"})
    assert response.status_code == 400
