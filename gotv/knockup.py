"""Knock-up rounds, read side: which doors of a round's packs still have promises to get out.

A round's packs are a `campaigns.WalkList` of the promises who had not voted when it was built
(gotv.services.knock_up_round_create). A pack is never shown as built: each read intersects its
doors with the knock-up list *now* (gotv.promises.knock_up), so whoever has voted since (told at
the station, "voted" at a door), said they won't, or asked not to be called on again drops off.
The page is stamped with the moment of that read: "includes tellings up to 14:32".

The contact-frequency quiet period (voters.ContactRule / ElectorQuerySet.due_for) does NOT apply
on polling day: every promise not yet voted is knocked, however recently contacted.
"""

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from campaigns.models import Pack, PackDoor
from gotv import knockup_sql, offline
from gotv import promises as promise_lists
from gotv.models import Election, KnockUpRound
from labourhub.scoping import Action
from voters.models import Elector


def elections_to_knock(user):
    """Elections this user may knock up in: knock-up lists are for TELL or CANVASS holders only."""
    return Election.objects.for_user(user, Action.TELL) | Election.objects.for_user(user, Action.CANVASS)


def _knock_up_pack(pack_pk):
    """(pack, round) for a pack of a knock-up round, or None. Unscoped: callers decide who may."""
    pack = (
        Pack.unscoped.filter(pk=pack_pk, walk_list__knock_up_round__isnull=False)
        .select_related("walk_list__knock_up_round__committee_room__election__constituency__region")
        .first()
    )
    return None if pack is None else (pack, pack.walk_list.knock_up_round)


def pack_for_knocker(user, pack_pk):
    """(pack, round) of a knock-up round in an election the user may knock up in, or None."""
    found = _knock_up_pack(pack_pk)
    if found is None or not elections_to_knock(user).filter(pk=found[1].committee_room.election_id).exists():
        return None
    return found


def elector_for_knocker(election, elector_pk):
    """The elector a knocker's outcome names, only among the election's constituency (the
    service then checks they are on the sheet). The knocker's pack, already checked, is the
    scope: a knocker may hold neither VIEW_VOTERS nor, after their grant, any role."""
    return (
        Elector.unscoped.filter(pk=elector_pk, polling_district__constituency_id=election.constituency_id)
        .select_related("home")
        .first()
    )


def pack_for_late_entry(pack_pk, *, user, token):
    """(pack, round) for an outcome tapped offline by someone who may no longer knock up here, or
    None: only when `token` is a download token this server issued to `user` for the pack's
    election (the page was served to them). The late-entry rule then decides whether the outcome
    is kept (gotv.services.knock_up_outcome_record); nothing of the pack is shown either way."""
    found = _knock_up_pack(pack_pk)
    if found is None:
        return None
    if offline.download_time_read(token, user=user, election=found[1].committee_room.election) is None:
        return None
    return found


@dataclass
class Door:
    position: int
    home: object
    electors: list


def _doors_with(doors, electors):
    """The doors (in walking order) at which any of `electors` live, each with them."""
    by_home = {}
    for elector in electors:
        by_home.setdefault(elector.home_id, []).append(elector)
    return [
        Door(door.position, door.property, by_home[door.property_id])
        for door in doors
        if door.property_id in by_home
    ]


class Home(NamedTuple):
    pk: int
    address: str


class Person(NamedTuple):
    """A promise still to get out, as the pack page and sheet show them (no model: a pack page
    is ~350 of these, read on every refresh)."""

    pk: int
    home_id: int
    full_name: str
    poll_number_raw: str


def pack_doors_now(pack, election):
    """The pack's doors, in walking order, with the promises still to get out at each; doors
    with nobody left are left out. One statement (gotv.knockup_sql), rows not models."""
    doors = []
    for row in knockup_sql.pack_rows(pack_id=pack.pk, election=election):
        if not doors or doors[-1].home.pk != row.home_id:
            doors.append(Door(row.position, Home(row.home_id, row.address), []))
        name = " ".join(part for part in (row.first_names, row.surname) if part)  # as Elector.full_name
        doors[-1].electors.append(Person(row.elector_id, row.home_id, name, row.poll_number_raw or ""))
    return doors


def round_packs(knock_up_round):
    """The round's packs, each with `left`: promises still to get out at its doors (three queries)."""
    packs = list(Pack.unscoped.filter(walk_list=knock_up_round.walk_list_id).select_related("assigned_to"))
    pack_of = dict(PackDoor.objects.filter(pack__in=packs).values_list("property_id", "pack_id"))
    left = Counter()
    if pack_of:
        homes = promise_lists.knock_up(knock_up_round.committee_room.election).filter(home__in=list(pack_of))
        for home_id in homes.order_by().values_list("home_id", flat=True):
            left[pack_of[home_id]] += 1
    for pack in packs:
        pack.left = left[pack.pk]
    return packs


def rounds_of(room):
    return KnockUpRound.unscoped.filter(committee_room=room).select_related("walk_list", "created_by")


def pack_doors_all(pack, election):
    """Every promise at the pack's doors as printed, voted or not (keying in a paper sheet)."""
    doors = list(PackDoor.objects.filter(pack=pack).select_related("property").order_by("position"))
    people = (
        promise_lists.promises(election)
        .filter(home__in=[door.property_id for door in doors])
        .select_related("home")
        .order_by("home_id", "surname", "first_names")
    )
    return _doors_with(doors, people)
