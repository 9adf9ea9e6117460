"""Finding 4 of issue 10: a former canvasser may not write by backdating `recorded_at`.

Answers arrive after the grant ended only when the phone had the pack before it ended (a token the
server issued with the pack data, not a phone clock) and within OFFLINE_LATE_ENTRY_HOURS of the end.
Everything else is refused, kept in the sync log and written to the audit log.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import PackDownload, SyncProblem, Visit
from campaigns.offline import late_entry_allowed
from labourhub.models import AuditEvent, Grant, Role
from labourhub.scoping import Action
from labourhub.services import grant_revoke
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory


@pytest.fixture
def door(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = [PropertyFactory(polling_district=anytown.polling_district) for _ in range(2)]
    electors = [ElectorFactory(home=home, surname="Anytownson") for home in homes]
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    Grant.objects.filter(user=anytown_canvasser).update(starts_at=timezone.now() - timedelta(days=10))
    return {"pack": pack, "electors": electors, "version": campaign.current_survey_version()}


def item(door, download=None, recorded_at=None, who=0):
    payload = {
        "uuid": str(uuid.uuid4()),
        "pack": door["pack"].pk,
        "elector": door["electors"][who].pk,
        "survey_version": door["version"].pk,
        "outcome": "spoke",
        "answers": {"vi": {"code": "L", "strength": "soft"}},
        "recorded_at": (recorded_at or timezone.now() - timedelta(minutes=5)).isoformat(),
    }
    if download is not None:
        payload["download"] = download
    return payload


def sync(client, *items):
    response = client.post(
        reverse("campaigns:sync"), json.dumps({"answers": list(items)}), content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()["results"]


def download(client, pack):
    response = client.get(reverse("campaigns:pack_data", args=[pack.pk]))
    assert response.status_code == 200
    return response.json()["token"]


def revoke(user, hours_ago=0):
    grant = Grant.objects.get(user=user)
    grant_revoke(grant=grant, revoked_by=None, reason="Left")
    if hours_ago:
        Grant.all_objects.filter(pk=grant.pk).update(revoked_at=timezone.now() - timedelta(hours=hours_ago))


def test_a_former_canvasser_backdating_without_a_download_is_refused_and_audited(
    client, anytown_canvasser, door
):
    client.force_login(anytown_canvasser)
    revoke(anytown_canvasser)
    a_year_ago = timezone.now() - timedelta(days=365)
    [result] = sync(client, item(door, recorded_at=a_year_ago))
    assert result["status"] == "refused"
    assert Visit.unscoped.count() == 0
    assert SyncProblem.unscoped.get().kind == "refused"
    event = AuditEvent.objects.get(action="canvass.late_refused")
    assert event.user == anytown_canvasser
    assert event.constituency == door["pack"].campaign.constituency
    assert event.detail["pack"] == door["pack"].pk


def test_answers_from_a_pack_downloaded_before_the_grant_ended_arrive_flagged(
    client, anytown_canvasser, door
):
    client.force_login(anytown_canvasser)
    token = download(client, door["pack"])
    revoke(anytown_canvasser)
    [result] = sync(client, item(door, download=token))
    assert result["status"] == "recorded" and result["flags"] == ["grant_ended"]


def test_late_answers_after_the_window_are_refused(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    token = download(client, door["pack"])
    PackDownload.objects.update(issued_at=timezone.now() - timedelta(hours=80))
    revoke(anytown_canvasser, hours_ago=73)
    [result] = sync(client, item(door, download=token, recorded_at=timezone.now() - timedelta(hours=75)))
    assert result["status"] == "refused"
    assert "72 hours" in result["message"]
    assert AuditEvent.objects.filter(action="canvass.late_refused").count() == 1


def test_the_window_is_a_setting(client, anytown_canvasser, door, settings):
    settings.OFFLINE_LATE_ENTRY_HOURS = 1
    client.force_login(anytown_canvasser)
    token = download(client, door["pack"])
    PackDownload.objects.update(issued_at=timezone.now() - timedelta(hours=3))
    revoke(anytown_canvasser, hours_ago=2)
    [result] = sync(client, item(door, download=token, recorded_at=timezone.now() - timedelta(hours=2.5)))
    assert result["status"] == "refused"


def test_an_expired_grant_follows_the_same_rule(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    token = download(client, door["pack"])
    PackDownload.objects.update(issued_at=timezone.now() - timedelta(minutes=10))
    Grant.all_objects.filter(user=anytown_canvasser).update(expires_at=timezone.now() - timedelta(minutes=1))
    results = sync(client, item(door, download=token), item(door, who=1))
    assert [r["status"] for r in results] == ["recorded", "refused"]


def test_another_canvassers_download_token_is_refused(client, anytown, anytown_canvasser, door):
    client.force_login(anytown.user(Role.ORGANISER))
    token = download(client, door["pack"])
    client.force_login(anytown_canvasser)
    revoke(anytown_canvasser)
    [result] = sync(client, item(door, download=token))
    assert result["status"] == "refused"


def test_a_download_token_of_another_pack_is_refused(client, anytown, anytown_canvasser, door):
    other = pack_with_doors(
        door["pack"].campaign, [PropertyFactory(polling_district=anytown.polling_district)]
    )
    other.assigned_to = anytown_canvasser
    other.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)
    token = download(client, other)
    revoke(anytown_canvasser)
    [result] = sync(client, item(door, download=token))
    assert result["status"] == "refused"


def test_an_answer_the_phone_says_it_recorded_after_the_end_is_refused(client, anytown_canvasser, door):
    client.force_login(anytown_canvasser)
    token = download(client, door["pack"])
    revoke(anytown_canvasser, hours_ago=2)
    [result] = sync(client, item(door, download=token, recorded_at=timezone.now() - timedelta(hours=1)))
    assert result["status"] == "refused"


def test_late_entry_rule_refuses_data_issued_after_the_grant_ended(anytown, anytown_canvasser):
    revoke(anytown_canvasser, hours_ago=2)
    decision = late_entry_allowed(
        user=anytown_canvasser,
        constituency=anytown.constituency,
        action=Action.CANVASS,
        issued_at=timezone.now() - timedelta(hours=1),
    )
    assert not decision.allowed
    assert decision.reason


def test_late_entry_rule_allows_data_issued_while_the_grant_held(anytown, anytown_canvasser):
    issued = timezone.now() - timedelta(hours=3)
    Grant.objects.filter(user=anytown_canvasser).update(starts_at=issued - timedelta(days=1))
    revoke(anytown_canvasser, hours_ago=2)
    decision = late_entry_allowed(
        user=anytown_canvasser, constituency=anytown.constituency, action=Action.CANVASS, issued_at=issued
    )
    assert decision.allowed
    assert decision.grant_ended_at < timezone.now()
