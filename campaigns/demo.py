"""Demo data for canvassing: a campaign with its survey, walk lists split into packs (some assigned
to the demo canvasser), a few thousand visits sent through the real sync path, follow-ups,
relations, phone numbers and a phone bank."""

import random
import time
import uuid
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from campaigns import events_demo
from campaigns.models import Campaign, LatestIntention, PackDoor, PhoneNumber, Visit
from campaigns.services import (
    SyncStatus,
    call_list_create,
    campaign_create,
    pack_assign,
    relation_add,
    walk_list_create,
)
from campaigns.sync import sync_batch
from labourhub.demo import ANYTOWN_CODE, demo_user
from labourhub.models import Constituency
from voters.models import Elector

CAMPAIGN = "Anytown winter doorstep 2026"
VISITS = 2500
INTENTIONS = [("L", 30), ("T", 18), ("LD", 8), ("G", 7), ("R", 12), ("O", 2), ("D", 14), ("W", 5), ("A", 4)]
OUTCOMES = [
    ("spoke", 45),
    ("not_in", 40),
    ("refused", 6),
    ("come_back", 5),
    ("moved", 2),
    ("do_not_knock", 2),
]
NO_STRENGTH = {"D", "W", "A"}
ISSUES = ["cost-of-living", "nhs", "housing", "crime", "roads", "bins", "schools", "transport"]


def _pick(rng, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    if Campaign.unscoped.filter(constituency=anytown, name=CAMPAIGN).exists():
        stdout.write("Canvassing: already seeded.")
        return
    if not Elector.unscoped.filter(polling_district__constituency=anytown).exists():
        stdout.write("Canvassing: no register loaded for Anytown, so no campaign seeded.")
        return
    started = time.monotonic()
    rng = random.Random(6)
    organiser = demo_user("organiser@anytown.demo", "Orla Organiser")
    canvasser = demo_user("canvasser@anytown.demo", "Cal Canvasser")
    campaign = campaign_create(
        constituency=anytown,
        name=CAMPAIGN,
        starts_on=timezone.localdate() - timedelta(days=28),
        user=organiser,
    )
    pds = list(anytown.polling_districts.order_by("code")[:3])
    walk_lists = [
        walk_list_create(
            campaign=campaign,
            name=f"{pd.code}: every door",
            criteria={"polling_districts": [pd.pk]},
            pack_size=40,
            user=organiser,
        )
        for pd in pds[:2]
    ]
    for pack in walk_lists[0].packs.order_by("number")[:3]:
        pack_assign(pack=pack, canvasser=canvasser, user=organiser)
    visits = _visits(rng, campaign, walk_lists[0], [canvasser, organiser])
    _spread_over_four_weeks(campaign, rng)
    relations = _relations(rng, anytown, canvasser)
    call_list = _phone_bank(rng, campaign, pds[2], organiser)
    sessions = events_demo.seed(anytown=anytown, organiser=organiser, walk_lists=walk_lists)
    stdout.write(
        f"Canvassing: campaign '{CAMPAIGN}' with {len(walk_lists)} walk lists "
        f"({sum(w.packs.count() for w in walk_lists)} packs), {visits} visits, {relations} relations, "
        f"a phone bank of {call_list.entry_count} ({time.monotonic() - started:.0f} s). {sessions}"
    )


def logins():
    return events_demo.logins()


def _visits(rng, campaign, walk_list, people):
    """Visits as phones send them: batches through the sync endpoint's service."""
    version = campaign.current_survey_version()
    doors = PackDoor.objects.filter(pack__walk_list=walk_list).order_by("pack__number", "position")
    electors = Elector.unscoped.filter(home__in=doors.values("property")).on_register().contactable()
    pack_of = dict(doors.values_list("property", "pack"))
    given_to = dict(doors.values_list("pack", "pack__assigned_to"))
    items_by_user = {user.pk: [] for user in people}
    for elector in electors.order_by("home_id", "pk")[:VISITS]:
        outcome = _pick(rng, OUTCOMES)
        answers = None
        if outcome == "spoke":
            code = _pick(rng, INTENTIONS)
            answers = {
                "vi": {"code": code, "strength": "" if code in NO_STRENGTH else rng.choice(["hard", "soft"])},
                "issues": rng.sample(ISSUES, rng.randint(0, 2)),
                "postal": rng.random() < 0.05,
                "volunteer": rng.random() < 0.02,
            }
        # A canvasser (people[0]) sends answers only from the packs given to them; the organiser
        # (people[-1]) knocks the rest.
        pack = pack_of[elector.home_id]
        who = rng.choice(people) if given_to[pack] == people[0].pk else people[-1]
        items_by_user[who.pk].append(
            {
                "uuid": str(uuid.uuid4()),
                "pack": pack,
                "elector": elector.pk,
                "survey_version": version.pk,
                "outcome": outcome,
                "answers": answers,
                "notes": "",
                "recorded_at": timezone.now().isoformat(),
            }
        )
    made = 0
    for user in people:
        items = items_by_user[user.pk]
        for start in range(0, len(items), 100):
            results = sync_batch(user=user, items=items[start : start + 100])
            made += sum(r["status"] == SyncStatus.RECORDED for r in results)
    return made


def _spread_over_four_weeks(campaign, rng):
    """Demo only: move the visits' times back over the campaign's four weeks so trends have a shape
    (the real path always stamps server time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Visit._meta.db_table} SET received_at = received_at - (random() * interval '27 days'),"
            " recorded_at = received_at WHERE campaign_id = %s",
            [campaign.pk],
        )
        cursor.execute(
            f"UPDATE {LatestIntention._meta.db_table} li SET at = v.received_at FROM {Visit._meta.db_table} v"
            " WHERE li.visit_id = v.id AND v.campaign_id = %s",
            [campaign.pk],
        )


def _relations(rng, constituency, owner):
    electors = list(
        Elector.unscoped.filter(polling_district__constituency=constituency).order_by("pk")[:3000:150]
    )
    for elector in electors:
        relation_add(
            owner=owner, elector=elector, kind=rng.choice(["family", "friend", "neighbour", "colleague"])
        )
    return len(electors)


def _phone_bank(rng, campaign, polling_district, organiser):
    electors = Elector.unscoped.filter(polling_district=polling_district).order_by("pk")[:400]
    PhoneNumber.unscoped.bulk_create(
        [
            PhoneNumber(
                elector=elector,
                number=f"07700{900000 + n:06d}",
                tps=rng.random() < 0.1,
                source="demo",
            )
            for n, elector in enumerate(electors)
        ],
        ignore_conflicts=True,
    )
    return call_list_create(
        campaign=campaign,
        name=f"{polling_district.code}: evening calls",
        criteria={"polling_districts": [polling_district.pk]},
        script="Hello, my name is ... and I'm calling from your local Labour Party. "
        "We're asking people what matters to them this winter.",
        user=organiser,
    )
