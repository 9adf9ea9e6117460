"""Two phones syncing at once through the HTTP endpoint, with real transactions: overlapping,
shuffled batches from two threads (each its own database connection), and lost replies (a batch
sent again after the server applied it). Each answer is applied exactly once."""

import json
import random
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Answer, LatestIntention, Visit
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS, ANSWERS, BATCH = 3, 36, 8  # per round: 36 answers, two phones sending 24 each (12 in common)


@pytest.fixture
def doors(anytown, anytown_canvasser):
    campaign = campaign_with_survey(anytown.constituency)
    homes = [PropertyFactory(polling_district=anytown.polling_district) for _ in range(12)]
    electors = [ElectorFactory(home=home, surname="Anytownson") for home in homes]
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    return {"pack": pack, "electors": electors, "version": campaign.current_survey_version()}


def _answer(doors, n):
    return {
        "uuid": str(uuid.uuid4()),
        "pack": doors["pack"].pk,
        "elector": doors["electors"][n % len(doors["electors"])].pk,
        "survey_version": doors["version"].pk,
        "outcome": "spoke",
        "answers": {"vi": {"code": "L", "strength": "soft"}, "issues": ["housing"]},
        "notes": f"Answer {n}",
        "recorded_at": timezone.now().isoformat(),
    }


def _phone(user, batches, start, replies, failures):
    """Send each batch, then send it again as a phone does when the reply was lost."""
    client = Client()
    client.force_login(user)
    try:
        start.wait(timeout=30)
        for batch in batches:
            for attempt in ("first", "again"):
                response = client.post(
                    reverse("campaigns:sync"), json.dumps({"answers": batch}), content_type="application/json"
                )
                if response.status_code != 200:
                    failures.append((response.status_code, response.content[:300]))
                    continue
                replies.extend((attempt, r) for r in response.json()["results"])
    except Exception as error:  # noqa: BLE001 (the main thread reports it)
        failures.append(repr(error))
    finally:
        connection.close()


def test_overlapping_shuffled_batches_and_lost_replies_apply_each_answer_once(anytown_canvasser, doors):
    rng = random.Random(11)
    sent = {}
    for _ in range(ROUNDS):
        answers = [_answer(doors, n) for n in range(ANSWERS)]
        sent |= {a["uuid"]: a for a in answers}
        mine, theirs = answers[:24], answers[12:]
        rng.shuffle(mine)
        rng.shuffle(theirs)
        start, replies, failures = threading.Barrier(2), [], []
        phones = [
            threading.Thread(
                target=_phone,
                args=(
                    anytown_canvasser,
                    [part[i : i + BATCH] for i in range(0, 24, BATCH)],
                    start,
                    replies,
                    failures,
                ),
            )
            for part in (mine, theirs)
        ]
        for phone in phones:
            phone.start()
        for phone in phones:
            phone.join(timeout=60)
        assert failures == []
        assert len(replies) == 2 * 2 * 24

        by_uuid = {}
        for attempt, result in replies:
            by_uuid.setdefault(result["uuid"], []).append((attempt, result["status"]))
        for key, statuses in by_uuid.items():
            # Sent by one phone (twice) or by both (four times): recorded exactly once, otherwise acknowledged.
            assert [s for _, s in statuses].count("recorded") == 1, (key, statuses)
            assert {s for _, s in statuses} == {"recorded", "duplicate"}, (key, statuses)
            assert ("again", "recorded") not in statuses, (
                key,
                statuses,
            )  # a lost reply's resend applies nothing

    assert set(by_uuid) <= set(sent)
    assert sorted(str(u) for u in Visit.unscoped.values_list("client_uuid", flat=True)) == sorted(sent)
    assert Contact.unscoped.count() == ROUNDS * ANSWERS
    assert (
        Answer.objects.count()
        == Visit.unscoped.count() * Answer.objects.filter(visit=Visit.unscoped.first()).count()
    )
    assert LatestIntention.unscoped.count() == len(doors["electors"])
