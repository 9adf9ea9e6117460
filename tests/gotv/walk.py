"""Polling-day URLs for the scoping walker (see tests/test_scoping_walker.py). Every object here is
Anytown's and carries "Anytown" in a personal field."""

from django.utils import timezone

from gotv.models import (
    BallotBox,
    BoxTurnoutCount,
    CommitteeRoom,
    Driver,
    Election,
    KnockUpOutcome,
    KnockUpRound,
    LiftRequest,
    PollingStation,
    PostalChaseContact,
    PromiseAdjustment,
    Telling,
    TellingUndo,
    VoteRecord,
    WarpCount,
)
from labourhub.models import Role
from tests.gotv.factories import (
    BallotBoxFactory,
    DriverFactory,
    LiftRequestFactory,
    canvassed,
    enter,
    polling_day,
)
from tests.gotv.factories_ops import mark_postal
from tests.voters.factories import ElectorFactory, PropertyFactory


def _day(anytown):
    return polling_day(anytown, name="Anytown general election")


def _setup_args(anytown):
    """Anytown has a register to choose (the owner's form offers it, with the CLP's name)."""
    _day(anytown)
    return {}


def _room_args(anytown):
    """An Anytown election with a box no room runs yet (offered on the form, station name and all)."""
    day = _day(anytown)
    BallotBoxFactory(station=day.station, label="Anytown box 2", districts=[anytown.polling_district])
    return {"pk": day.election.pk}


def _elector(anytown, election):
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road"),
        surname="Anytownson",
    )
    enter(election.publication, elector)
    return elector


def _telling(anytown):
    day = _day(anytown)
    elector = _elector(anytown, day.election)
    entry = elector.register_entries.get()
    telling = Telling.unscoped.create(
        election=day.election, box=day.box, teller=anytown.user(Role.TELLER),
        raw_number=str(entry.elector_number), elector_number=entry.elector_number, elector=elector,
        polling_district=entry.polling_district, recorded_at=timezone.now(),
    )  # fmt: skip
    VoteRecord.unscoped.create(
        election=day.election, elector=elector, polling_district=entry.polling_district,
        source=VoteRecord.Source.TELLING, telling=telling, at=telling.recorded_at,
    )  # fmt: skip
    return telling


def _round(anytown):
    day = _day(anytown)
    return KnockUpRound.unscoped.create(
        committee_room=day.room,
        number=1,
        name="Anytown round one",
        tellings_up_to=timezone.now(),
        created_by=anytown.user(Role.ORGANISER),
    )


def _outcome(anytown):
    knock_up_round = _round(anytown)
    elector = _elector(anytown, knock_up_round.committee_room.election)
    return KnockUpOutcome.unscoped.create(
        round=knock_up_round,
        elector=elector,
        knocker=anytown.user(Role.CANVASSER),
        outcome=KnockUpOutcome.Outcome.NOT_IN,
        notes="Anytown door",
        recorded_at=timezone.now(),
    )


def _adjustment(anytown):
    day = _day(anytown)
    return PromiseAdjustment.unscoped.create(
        election=day.election,
        elector=_elector(anytown, day.election),
        kind=PromiseAdjustment.Kind.PROMISE,
        reason="Anytown supporter",
        by=anytown.user(Role.ORGANISER),
    )


def _turnout(anytown):
    day = _day(anytown)
    return BoxTurnoutCount.unscoped.create(
        election=day.election, box=day.box, ballots_issued=120, as_of=timezone.now(),
        recorded_by=anytown.user(Role.TELLER),
    )  # fmt: skip


def _warp(anytown):
    """One WARP count, shared by the counts page (whose invalidate form its owner is shown) and the
    invalidate URL, so that the form's reason is POSTed to the count it names."""

    def make(anytown):
        day = _day(anytown)
        return WarpCount.unscoped.create(
            election=day.election, box=day.box, label="Anytown Independent", votes=12,
            recorded_by=anytown.user(Role.TELLER),
        )  # fmt: skip

    return anytown.once("warp", make)


def _postal(anytown):
    day = _day(anytown)
    return PostalChaseContact.unscoped.create(
        election=day.election, elector=_elector(anytown, day.election), channel="phone", outcome="at_home",
        notes="Anytown postal voter", by=anytown.user(Role.CANVASSER),
    )  # fmt: skip


def _lift(anytown):
    """An Anytown lift given to an Anytown driver with a login (gotv-ops)."""
    election = _day(anytown).election
    driver = DriverFactory(election=election, name="Anytown Driver", user=anytown.user(Role.TELLER))
    return LiftRequestFactory(
        election=election,
        name="Anytown Passenger",
        address="1 Anytown Road",
        driver=driver,
        status="assigned",
    )


def _postal_voter(anytown):
    """(election, elector): an Anytown promise on the election's postal list (gotv-ops), shared by
    the chase page and its log URL, so that the call its owner is shown how to log is POSTed there."""
    return anytown.once("postal_voter", _make_postal_voter)


def _make_postal_voter(anytown):
    day = _day(anytown)
    day.election.democracy_club_id = f"parl.anytown-{day.election.pk}"
    day.election.save(update_fields=["democracy_club_id"])
    elector = _elector(anytown, day.election)
    mark_postal(day.election, elector)
    canvassed(elector, "L", "hard")
    return day.election, elector


def _undo(anytown):
    telling = _telling(anytown)
    return TellingUndo.unscoped.create(telling=telling, by=telling.teller)


def _board_args(anytown):
    day = _day(anytown)
    return {"pk": day.election.pk, "room_pk": day.room.pk}


def _knockup_round(anytown):
    """A real round (walk list and a pack) holding one Anytown promise, shared by the round, pack
    and outcome URLs, so that the outcome form the pack page shows is POSTed to that pack."""
    return anytown.once("knockup_round", _make_knockup_round)[0]


def _make_knockup_round(anytown):
    from campaigns.models import Campaign
    from gotv.services import knock_up_round_create
    from tests.gotv.factories import canvassed

    day = _day(anytown)
    day.election.campaign = Campaign.unscoped.create(
        constituency=anytown.constituency, name="Anytown polling day", starts_on=day.election.poll_date
    )
    day.election.save(update_fields=["campaign"])
    elector = _elector(anytown, day.election)
    canvassed(elector, "L", campaign=day.election.campaign)
    return knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER)), elector


def _round_args(anytown):
    knock_up_round = _knockup_round(anytown)
    return {"pk": knock_up_round.committee_room.election_id, "round_pk": knock_up_round.pk}


def _pack_args(anytown):
    return {"pack_pk": _knockup_round(anytown).walk_list.packs.get().pk}


URLS = {
    "gotv:index": lambda anytown: {},
    "gotv:election": lambda anytown: {"pk": _day(anytown).election.pk},
    "gotv:stations_import": lambda anytown: {"pk": _day(anytown).election.pk},
    # --- Setting up from the office pages (gotvux): the form offers Anytown, its register and its
    # boxes to their owner; anyone else POSTing those ids is refused (tests/gotv/test_setup.py) ---
    "gotv:election_create": _setup_args,
    "gotv:committee_room_create": _room_args,
    # --- Lifts and the postal chase (gotv-ops) ---
    "gotv:lifts": lambda anytown: {"pk": _lift(anytown).election_id},
    "gotv:lift_create": lambda anytown: {"pk": _day(anytown).election.pk},
    "gotv:driver_create": lambda anytown: {"pk": _day(anytown).election.pk},
    "gotv:lift_update": lambda anytown: {"pk": (lift := _lift(anytown)).election_id, "lift_pk": lift.pk},
    "gotv:my_lifts": lambda anytown: {},
    "gotv:my_lift_update": lambda anytown: {"lift_pk": _lift(anytown).pk},
    "gotv:postal_chase": lambda anytown: {"pk": _postal_voter(anytown)[0].pk},
    "gotv:postal_chase_log": lambda anytown: {
        "pk": (voter := _postal_voter(anytown))[0].pk,
        "elector_pk": voter[1].pk,
    },
    "gotv:postal_labels": lambda anytown: {"pk": _postal_voter(anytown)[0].pk},
    # --- The committee-room board and the constituency overview (gotv-board) ---
    "gotv:board_overview": lambda anytown: {"pk": _day(anytown).election.pk},
    "gotv:board_overview_live": lambda anytown: {"pk": _day(anytown).election.pk},
    "gotv:board": lambda anytown: _board_args(anytown),
    "gotv:board_live": lambda anytown: _board_args(anytown),
    "gotv:after_poll": lambda anytown: {"pk": _day(anytown).election.pk},
    # --- Knock-up rounds (gotv-board) ---
    "gotv:knockup_rounds": lambda anytown: _board_args(anytown),
    "gotv:knockup_round": _round_args,
    "gotv:knockup_paper": _round_args,
    "gotv:knockup_pack": _pack_args,
    "gotv:knockup_pack_print": _pack_args,
    "gotv:knockup_outcome": _pack_args,
    "gotv:knockup_sync": lambda anytown: {},
}

# --- Telling (gotv/views_telling.py) ---


def _no_kwargs(anytown):
    return {}


def _box_kwargs(anytown):
    day = _day(anytown)
    _elector(anytown, day.election)
    return {"election": day.election.pk, "box": day.box.pk}


URLS |= {
    "gotv:telling_home": _no_kwargs,
    "gotv:telling_service_worker": _no_kwargs,
    "gotv:telling_sync": _no_kwargs,
    "gotv:telling_ping": _no_kwargs,
    "gotv:telling_box": _box_kwargs,
    "gotv:telling_search": _box_kwargs,
    "gotv:telling_counts": lambda anytown: {"election": _warp(anytown).election_id},
    "gotv:warp_invalidate": lambda anytown: {"pk": _warp(anytown).pk},
}
# --- end of telling ---

# --- The knocker's pack offline (knockup-offline) ---
URLS |= {"gotv:knockup_service_worker": _no_kwargs}

# --- The polling-day rota (rota17): an Anytown election whose rota has a booked teller ---


def _rota_args(anytown):
    def make(anytown):
        from gotv.rota_services import rota_create
        from tests.campaigns.event_factories import booked

        day = _day(anytown)
        slots = rota_create(user=anytown.user(Role.ORGANISER), election=day.election, tellers=1, drivers=1)
        booked(slots[0].shift, name="Anytown teller")
        return day.election

    return {"pk": anytown.once("rota", make).pk}


URLS |= {
    "gotv:rota": _rota_args,
    "gotv:rota_live": _rota_args,
    "gotv:rota_create": _rota_args,
    "gotv:rota_csv": _rota_args,
}
# --- end of the knocker's pack offline ---

ADMIN_OBJECTS = {
    Election: lambda anytown: _day(anytown).election,
    PollingStation: lambda anytown: _day(anytown).station,
    BallotBox: lambda anytown: _day(anytown).box,
    CommitteeRoom: lambda anytown: _day(anytown).room,
    PromiseAdjustment: _adjustment,
    Telling: _telling,
    TellingUndo: _undo,
    VoteRecord: lambda anytown: VoteRecord.unscoped.get(telling=_telling(anytown)),
    BoxTurnoutCount: _turnout,
    WarpCount: _warp,
    KnockUpRound: _round,
    KnockUpOutcome: _outcome,
    Driver: lambda anytown: DriverFactory(election=_day(anytown).election, name="Anytown Driver"),
    LiftRequest: lambda anytown: LiftRequestFactory(
        election=_day(anytown).election, name="Anytown Passenger"
    ),
    PostalChaseContact: _postal,
}


# --- What the walker needs to see a leak on the polling-day URLs --------------------------------


def _telling_batch(anytown):
    """One poll number of an Anytown elector at Anytown's box, as a teller's phone sends it: its
    owner is told the voter's name, so anyone else being told it would show."""
    day = _day(anytown)
    entry = _elector(anytown, day.election).register_entries.get()
    return {
        "entries": [
            {
                "uuid": "7a2d5c1e-0000-4000-8000-00000000a11c",
                "kind": "telling",
                "election": day.election.pk,
                "box": day.box.pk,
                "number": str(entry.elector_number),
                "recorded_at": timezone.now().isoformat(),
            }
        ]
    }


def _box_postcode(anytown):
    return {"q": _elector(anytown, _day(anytown).election).home.postcode}


def _knockup_batch(anytown):
    """One door outcome from the knocker's phone for the Anytown promise on Anytown's pack: its
    owner's POST records it, so anyone else's being applied would show in Anytown's rows."""
    knock_up_round, elector = anytown.once("knockup_round", _make_knockup_round)
    return {
        "outcomes": [
            {
                "uuid": "7a2d5c1e-0000-4000-8000-00000000b0b0",
                "pack": knock_up_round.walk_list.packs.get().pk,
                "elector": elector.pk,
                "outcome": KnockUpOutcome.Outcome.NOT_IN,
                "notes": "",
                "recorded_at": timezone.now().isoformat(),
            }
        ]
    }


BODIES = {"gotv:telling_sync": _telling_batch, "gotv:knockup_sync": _knockup_batch}
QUERIES = {"gotv:telling_search": _box_postcode}
NO_CANARY = {
    "gotv:telling_service_worker": "the teller's page's service worker: a static script",
    "gotv:knockup_service_worker": "the pack page's service worker: a static script",
    "gotv:telling_ping": "the server's time",
    "gotv:my_lifts": "the signed-in driver's own lifts, found by their login (as members:me)",
    "gotv:my_lift_update": "the signed-in driver's own lift, found by their login (as members:me)",
}
