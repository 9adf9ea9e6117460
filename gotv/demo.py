"""Demo polling day: an election today in Anytown on its latest register, a station per ward with
a box per polling district, two committee rooms (one main), tellings arriving over the hours so
far (through the real telling service, at most boxes: a few have no teller, so the board shows
"not seen"), a knock-up round out, drivers and a few lift requests, so the board is alive on first
look. Promises are not seeded here: they come from the canvassing demo's intentions."""

import datetime
import random
import time
import uuid

from django.db import connection
from django.utils import timezone

from gotv import promises, services
from gotv.models import (
    BallotBox,
    BallotBoxDistrict,
    Election,
    KnockUpRound,
    PollingStation,
    Telling,
    VoteRecord,
)
from gotv.services import committee_room_create, election_create
from labourhub.demo import ANYTOWN_CODE, demo_user
from labourhub.models import Constituency
from voters.models import RegisterEntry, RegisterPublication

ELECTION = "Anytown general election (demo)"
PROMISES_TOLD = 0.45  # share of the promises at a staffed box told so far
OTHERS_TOLD = 1200  # other electors told at the staffed boxes
UNSTAFFED_EVERY = 5  # every fifth box has had no teller today


def seed(stdout):
    anytown = Constituency.objects.get(gss_code=ANYTOWN_CODE)
    if Election.unscoped.filter(constituency=anytown, name=ELECTION).exists():
        stdout.write("Polling day: already seeded.")
        return
    publication = RegisterPublication.objects.filter(constituency=anytown).order_by("-published_on").first()
    if publication is None:
        stdout.write("Polling day: no register loaded for Anytown, so no election seeded.")
        return
    started = time.monotonic()
    rng = random.Random(13)
    organiser = demo_user("organiser@anytown.demo", "Orla Organiser")
    teller = demo_user("teller@anytown.demo", "Tess Teller")
    canvasser = demo_user("canvasser@anytown.demo", "Cal Canvasser")
    today = timezone.localdate()
    polls_open, polls_close = _demo_hours()
    election = election_create(
        constituency=anytown,
        kind=Election.Kind.GENERAL,
        name=ELECTION,
        poll_date=today,
        publication=publication,
        democracy_club_id=f"parl.{today.isoformat()}",
        polls_open=polls_open,
        polls_close=polls_close,
        user=organiser,
    )
    boxes = _stations_and_boxes(anytown, election)
    half = len(boxes) // 2
    main = committee_room_create(
        election=election, name="Anytown Labour Hall", boxes=boxes[:half], is_main=True, organiser=organiser,
        address="12 Market Street, Anytown", contact_number="01632 960001", user=organiser,
    )  # fmt: skip
    committee_room_create(
        election=election, name="Northfield front room", boxes=boxes[half:], organiser=organiser,
        address="3 Northfield Close, Anytown", contact_number="01632 960002", user=organiser,
    )  # fmt: skip
    told = _tellings(rng, election, boxes, [teller, organiser])
    knock_up_round = _knock_up_round(main, organiser)
    lifts = _lifts(election, main, organiser, canvasser)
    stdout.write(
        f"Polling day: '{ELECTION}' today with {len(boxes)} boxes, two committee rooms, {told} tellings, "
        f"{'a knock-up round out' if knock_up_round else 'no knock-up round'}, {lifts} lift requests "
        f"({time.monotonic() - started:.0f} s)."
    )


def _demo_hours():
    """The real hours (07:00-22:00), stretched when the demo is started outside them so that
    tellings can arrive now: from midnight before 08:00, to 23:59 after 21:00."""
    now = timezone.localtime().time()
    polls_open, polls_close = datetime.time(7, 0), datetime.time(22, 0)
    if now < datetime.time(8, 0):
        polls_open = datetime.time(0, 0)
    if now > datetime.time(21, 0):
        polls_close = datetime.time(23, 59)
    return polls_open, polls_close


def _stations_and_boxes(anytown, election):
    boxes = []
    for ward in anytown.wards.order_by("name"):
        districts = list(ward.polling_districts.order_by("code"))
        if not districts:
            continue
        station = PollingStation.unscoped.create(
            election=election, name=f"{ward.name} community centre", address=f"1 {ward.name} Road, Anytown"
        )
        for district in districts:
            box = BallotBox.unscoped.create(
                election=election, station=station, label=district.code, co_located=len(districts) > 1
            )
            BallotBoxDistrict.objects.create(box=box, polling_district=district)
            boxes.append(box)
    return boxes


def _tellings(rng, election, boxes, tellers):
    """Numbers typed at the staffed boxes through the telling service, then (demo only, as the
    canvassing demo does for visits) moved back over the hours the polls have been open."""
    staffed = [box for n, box in enumerate(boxes) if n % UNSTAFFED_EVERY != UNSTAFFED_EVERY - 1]
    box_of = {
        link.polling_district_id: link.box
        for link in BallotBoxDistrict.objects.filter(box__in=staffed).select_related("box")
    }
    promised = set(
        promises.promises(election).filter(poll_district_id__in=box_of).values_list("pk", flat=True)
    )
    entries = list(
        RegisterEntry.unscoped.filter(publication=election.publication, polling_district_id__in=box_of)
        .order_by("pk")
        .values_list(
            "elector_id", "polling_district_id", "polling_district__code", "elector_number", "elector_suffix"
        )
    )
    chosen = [e for e in entries if e[0] in promised and rng.random() < PROMISES_TOLD]
    others = [e for e in entries if e[0] not in promised]
    chosen += rng.sample(others, min(OTHERS_TOLD, len(others)))
    told = 0
    for _elector_id, district_id, code, number, suffix in chosen:
        result = services.telling_record(
            teller=rng.choice(tellers),
            election=election,
            box=box_of[district_id],
            raw_number=f"{code}-{number}" + (f"/{suffix}" if suffix else ""),  # as on the poll card
            client_uuid=uuid.uuid4(),
        )
        told += result.status == "found"
    _spread_over_the_day(election)
    return told


def _spread_over_the_day(election):
    now = timezone.now()
    opened = election.opens_at
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Telling._meta.db_table} SET recorded_at = %s + (random() * (%s - %s)),"
            " received_at = recorded_at WHERE election_id = %s",
            [opened, now, opened, election.pk],
        )
        cursor.execute(
            f"UPDATE {Telling._meta.db_table} SET received_at = recorded_at WHERE election_id = %s",
            [election.pk],
        )
        cursor.execute(
            f"UPDATE {VoteRecord._meta.db_table} v SET at = t.recorded_at FROM {Telling._meta.db_table} t"
            " WHERE v.telling_id = t.id AND v.election_id = %s",
            [election.pk],
        )


def _knock_up_round(room, organiser):
    """Round 1 out from the main room: through the knock-up service when this branch has it
    (packs of the doors still to knock), else the round's stamp alone."""
    create = getattr(services, "knock_up_round_create", None)
    if create is not None:
        return create(committee_room=room, user=organiser, name="First round")
    return KnockUpRound.unscoped.create(
        committee_room=room, number=1, name="First round", tellings_up_to=timezone.now(), created_by=organiser
    )


LIFTS = [  # name (when no promise is at hand), needs, wheelchair, window
    ("Edna Price", "wheelchair user; the folding chair fits a boot", True, (10, 0), (11, 30)),
    ("Tom Okafor", "walks with a frame; needs help to the door", False, (14, 0), (15, 0)),
    ("Priya Shah", "", False, (17, 30), (19, 0)),
    ("Alan Hughes", "hard of hearing: knock loudly", False, (18, 0), (20, 0)),
]


def _lifts(election, room, organiser, canvasser):
    """Two drivers (the demo canvasser is one, so their phone page has lifts) and a few requests:
    two assigned to the canvasser, one waiting, one done."""
    cal = services.driver_create(
        election=election, name="Cal Canvasser", phone="07700 900123", account=canvasser, seats=3,
        user=organiser,
    )  # fmt: skip
    other = services.driver_create(
        election=election, name="Dev Driver", phone="07700 900456", seats=4, wheelchair_accessible=True,
        user=organiser,
    )  # fmt: skip
    electors = list(
        promises.knock_up(election).filter(box_id__in=room.boxes.values("pk")).select_related("home")[:40]
    )
    made = []
    for n, (name, needs, wheelchair, start, end) in enumerate(LIFTS):
        elector = electors[n * 7] if len(electors) > n * 7 else None
        who = {"elector": elector} if elector else {"name": name, "address": f"{n + 4} Station Road, Anytown"}
        made.append(
            services.lift_request_create(
                election=election,
                user=organiser,
                **who,
                phone=f"01632 9601{n:02d}",
                window_from=datetime.time(*start),
                window_until=datetime.time(*end),
                accessibility_needs=needs,
                wheelchair=wheelchair,
                committee_room=room,
            )
        )
    services.lift_assign(lift=made[0], driver=other, user=organiser)
    services.lift_done(lift=made[0], user=organiser)
    services.lift_assign(lift=made[1], driver=cal, user=organiser)
    services.lift_assign(lift=made[3], driver=cal, user=organiser)
    return len(made)
