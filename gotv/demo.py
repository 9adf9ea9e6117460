"""Demo polling day (a stub to build on): an election today in Anytown on its latest register, a
station per ward with a box per polling district, and two committee rooms. Tellings, knock-up
rounds and lifts are for the full demo."""

import time

from django.utils import timezone

from gotv.models import BallotBox, BallotBoxDistrict, Election, PollingStation
from gotv.services import committee_room_create, election_create
from labourhub.demo import ANYTOWN_CODE, demo_user
from labourhub.models import Constituency
from voters.models import RegisterPublication

ELECTION = "Anytown general election (demo)"


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    if Election.objects.filter(constituency=anytown, name=ELECTION).exists():
        stdout.write("Polling day: already seeded.")
        return
    publication = RegisterPublication.objects.filter(constituency=anytown).order_by("-published_on").first()
    if publication is None:
        stdout.write("Polling day: no register loaded for Anytown, so no election seeded.")
        return
    started = time.monotonic()
    organiser = demo_user("organiser@anytown.demo", "Orla Organiser")
    today = timezone.localdate()
    election = election_create(
        constituency=anytown,
        kind=Election.Kind.GENERAL,
        name=ELECTION,
        poll_date=today,
        publication=publication,
        democracy_club_id=f"parl.{today.isoformat()}",
        user=organiser,
    )
    boxes = []
    for ward in anytown.wards.order_by("name"):
        districts = list(ward.polling_districts.order_by("code"))
        if not districts:
            continue
        station = PollingStation.objects.create(
            election=election, name=f"{ward.name} community centre", address=f"1 {ward.name} Road, Anytown"
        )
        for district in districts:
            box = BallotBox.objects.create(
                election=election, station=station, label=district.code, co_located=len(districts) > 1
            )
            BallotBoxDistrict.objects.create(box=box, polling_district=district)
            boxes.append(box)
    half = len(boxes) // 2
    committee_room_create(
        election=election, name="Anytown Labour Hall", boxes=boxes[:half], is_main=True, organiser=organiser,
        address="12 Market Street, Anytown", contact_number="01632 960001", user=organiser,
    )  # fmt: skip
    committee_room_create(
        election=election, name="Northfield front room", boxes=boxes[half:], organiser=organiser,
        address="3 Northfield Close, Anytown", contact_number="01632 960002", user=organiser,
    )  # fmt: skip
    stdout.write(
        f"Polling day: '{ELECTION}' today with {len(boxes)} boxes and two committee rooms "
        f"({time.monotonic() - started:.0f} s)."
    )
