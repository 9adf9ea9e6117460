"""The polling-day rota, read side (issue 17 item 6): a grid of stations x time blocks for tellers
and committee rooms x time blocks for knockers and drivers, filled from the sign-ups of the
events' shifts, with the gaps; the hours in which the rota puts a teller at each box (telling
coverage on the board); the plan of a bulk creation; the CSV rows. Writes: gotv/rota_services.py.

A slot is covered when it has at least its shift's minimum of people booked (or checked in); a
slot short of its minimum is a gap, and a station or room with no slot in a block is a gap too.

Callers scope first: pass an election from `Election.objects.for_user(user, Action.ORGANISE)`.
Every function reads in a fixed number of queries, however many stations, shifts and sign-ups.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Signup
from gotv.models import BallotBox, CommitteeRoom, PollingStation, RotaSlot

if TYPE_CHECKING:
    from gotv.models import Election

CHECKED_IN = [Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN]


def on_the_rota(prefix: str = "") -> Q:
    """A person counts on the rota while booked and not marked a no-show, or once checked in
    (`prefix`: the path from the queried model to the sign-up, e.g. "shift__signups__")."""
    return (
        Q(**{f"{prefix}status": Signup.Status.BOOKED})
        & ~Q(**{f"{prefix}attendance": Signup.Attendance.NO_SHOW})
    ) | Q(**{f"{prefix}attendance__in": CHECKED_IN})


DEFAULT_BLOCK_HOURS = 3
ROOM_KINDS = (RotaSlot.Kind.KNOCKER, RotaSlot.Kind.DRIVER)


def slots_with_fill(election: Election) -> list[Any]:
    """The election's rota slots with `people` (booked or checked in), `checked_in`, the shift and
    its event: one query."""
    return list(
        RotaSlot.unscoped.filter(election=election)
        .select_related("shift__event")
        .annotate(
            people=Count("shift__signups", filter=on_the_rota("shift__signups__")),
            checked_in=Count("shift__signups", filter=Q(shift__signups__attendance__in=CHECKED_IN)),
            waiting=Count("shift__signups", filter=Q(shift__signups__status=Signup.Status.WAITING)),
        )
        .order_by("shift__starts_at", "pk")
    )


@dataclass
class Cell:
    slot: Any = None  # a RotaSlot with `people` annotated, or None: nothing planned (a gap)

    @property
    def status(self) -> str:
        """'gap' (nothing planned, or nobody yet), 'short' (under the minimum), 'ok', 'full'."""
        if self.slot is None or self.slot.people == 0:
            return "gap"
        shift = self.slot.shift
        if shift.maximum is not None and self.slot.people >= shift.maximum:
            return "full"
        return "short" if self.slot.people < shift.minimum else "ok"

    @property
    def is_gap(self) -> bool:
        return self.status in ("gap", "short")


@dataclass
class Row:
    label: str
    kind: str
    place: Any  # a PollingStation or CommitteeRoom
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Grid:
    blocks: list[datetime.datetime]  # the start of each column (local time)
    tellers: list[Row]
    rooms: list[Row]
    gaps: int
    slots: int

    @property
    def rows(self) -> list[Row]:
        return self.tellers + self.rooms


def grid(election: Election) -> Grid:
    """The rota as rows of cells, one column per distinct shift start: four queries."""
    slots = slots_with_fill(election)
    stations = list(PollingStation.unscoped.filter(election=election).order_by("name", "pk"))
    rooms = list(CommitteeRoom.unscoped.filter(election=election).order_by("-is_main", "name", "pk"))
    blocks = sorted({timezone.localtime(slot.shift.starts_at) for slot in slots})
    if not blocks:
        blocks = [timezone.localtime(start) for start, _ in blocks_for(election, DEFAULT_BLOCK_HOURS)]
    column = {block: index for index, block in enumerate(blocks)}
    at: dict[tuple[str, int, int], list[Any]] = defaultdict(list)
    for slot in slots:
        place = slot.station_id if slot.kind == RotaSlot.Kind.TELLER else slot.committee_room_id
        at[(slot.kind, place, column[timezone.localtime(slot.shift.starts_at)])].append(slot)

    def row(label: str, kind: str, place: Any) -> Row:
        cells = []
        for index in range(len(blocks)):
            found = at.get((kind, place.pk, index))
            # Two slots in one block (a box told apart): the emptiest one is what the grid shows.
            cells.append(Cell(min(found, key=lambda slot: slot.people) if found else None))
        return Row(label, kind, place, cells)

    tellers = [row(station.name, RotaSlot.Kind.TELLER, station) for station in stations]
    room_rows = [
        row(f"{room.name} · {RotaSlot.Kind(kind).label.lower()}", kind, room)
        for room in rooms
        for kind in ROOM_KINDS
    ]
    gaps = sum(cell.is_gap for line in tellers + room_rows for cell in line.cells)
    return Grid(blocks, tellers, room_rows, gaps, len(slots))


# --- Telling coverage from the rota ----------------------------------------------------------


def _hours(starts_at: datetime.datetime, ends_at: datetime.datetime) -> set[int]:
    """Local clock hours a shift touches: 07:00-10:00 -> {7, 8, 9}."""
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    hours, at = set(), start.replace(minute=0, second=0, microsecond=0)
    while at < end and at.date() == start.date():
        hours.add(at.hour)
        at += datetime.timedelta(hours=1)
    return hours


def rostered_hours(election: Election) -> dict[int, set[int]]:
    """{box id: local hours in which the rota has a teller booked or checked in there}: a slot at a
    station covers all its boxes; a slot at a box covers that box (and, when the box is co-located,
    every co-located box of its station). Two queries."""
    covered = (
        RotaSlot.unscoped.filter(election=election, kind=RotaSlot.Kind.TELLER)
        .annotate(people=Count("shift__signups", filter=on_the_rota("shift__signups__")))
        .filter(people__gt=0)
        .values_list("station_id", "box_id", "shift__starts_at", "shift__ends_at")
    )
    covered = list(covered)
    if not covered:
        return {}
    boxes = list(BallotBox.unscoped.filter(election=election).values_list("pk", "station_id", "co_located"))
    at_station: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for pk, station_id, co_located in boxes:
        at_station[station_id].append((pk, co_located))
    co_located_boxes = {pk for pk, _, co_located in boxes if co_located}
    hours: dict[int, set[int]] = defaultdict(set)
    for station_id, box_id, starts_at, ends_at in covered:
        span = _hours(starts_at, ends_at)
        if box_id is None:
            targets = [pk for pk, _ in at_station[station_id]]
        elif box_id in co_located_boxes:
            targets = [pk for pk, co_located in at_station[station_id] if co_located]
        else:
            targets = [box_id]
        for pk in targets:
            hours[pk] |= span
    return dict(hours)


def tellers_now(election: Election, now: datetime.datetime | None = None) -> set[int]:
    """Boxes the rota has a teller at in this hour."""
    hour = timezone.localtime(now or timezone.now()).hour
    return {box for box, hours in rostered_hours(election).items() if hour in hours}


# --- Planning a bulk creation ---------------------------------------------------------------


def blocks_for(election: Election, block_hours: int) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """From polls open to polls close in blocks of `block_hours` (the last one shorter if need be)."""
    start, close = election.opens_at, election.closes_at
    step = datetime.timedelta(hours=block_hours)
    blocks = []
    while start < close:
        blocks.append((start, min(start + step, close)))
        start += step
    return blocks


class Planned(NamedTuple):
    kind: str
    place: Any  # a PollingStation or CommitteeRoom
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    minimum: int


class Plan(NamedTuple):
    new: list[Planned]
    already: int  # slots that exist at the same place and time (left as they are)

    def summary(self) -> list[tuple[str, int]]:
        """[(what, how many shifts)] per kind, for "this will create ..."."""
        counts: dict[str, int] = defaultdict(int)
        for item in self.new:
            counts[RotaSlot.Kind(item.kind).label] += 1
        return sorted(counts.items())


def plan(
    election: Election,
    *,
    block_hours: int = DEFAULT_BLOCK_HOURS,
    tellers: int = 1,
    knockers: int = 0,
    drivers: int = 0,
) -> Plan:
    """What a bulk creation would add: for every station (when `tellers`) and committee room (for
    knockers and drivers asked for), one shift per block needing that many people; nothing that
    is already on the rota at the same place and start. Three queries."""
    taken = {
        (kind, station or room, timezone.localtime(starts_at))
        for kind, station, room, starts_at in RotaSlot.unscoped.filter(election=election).values_list(
            "kind", "station_id", "committee_room_id", "shift__starts_at"
        )
    }
    wanted: list[tuple[str, Any, int]] = []  # (kind, place, people needed)
    if tellers:
        for station in PollingStation.unscoped.filter(election=election).order_by("name", "pk"):
            wanted.append((RotaSlot.Kind.TELLER, station, tellers))
    rooms = list(CommitteeRoom.unscoped.filter(election=election).order_by("-is_main", "name", "pk"))
    for room_kind, needed in ((RotaSlot.Kind.KNOCKER, knockers), (RotaSlot.Kind.DRIVER, drivers)):
        if needed:
            wanted += [(room_kind, room, needed) for room in rooms]
    new, already = [], 0
    for kind, place, minimum in wanted:
        for starts_at, ends_at in blocks_for(election, block_hours):
            if (kind, place.pk, timezone.localtime(starts_at)) in taken:
                already += 1
            else:
                new.append(Planned(kind, place, starts_at, ends_at, minimum))
    return Plan(new, already)


# --- CSV ----------------------------------------------------------------------------------------

CSV_HEADER = [
    "kind",
    "place",
    "starts",
    "ends",
    "minimum",
    "maximum",
    "people",
    "checked in",
    "status",
    "names",
]


def csv_rows(election: Election) -> list[list[Any]]:
    """One row per slot, with the names of the people on it: three queries."""
    slots = slots_with_fill(election)
    places = {
        **{("s", s.pk): s.name for s in PollingStation.unscoped.filter(election=election)},
        **{("r", r.pk): r.name for r in CommitteeRoom.unscoped.filter(election=election)},
    }
    names: dict[int, list[str]] = defaultdict(list)
    for shift_id, name in (
        Signup.unscoped.filter(shift__rota_slot__election=election)
        .filter(on_the_rota())
        .order_by("contact__name")
        .values_list("shift_id", "contact__name")
    ):
        names[shift_id].append(name)
    rows = []
    for slot in slots:
        place = places.get(("s", slot.station_id) if slot.station_id else ("r", slot.committee_room_id), "")
        rows.append(
            [
                slot.get_kind_display(),
                place,
                f"{timezone.localtime(slot.shift.starts_at):%Y-%m-%d %H:%M}",
                f"{timezone.localtime(slot.shift.ends_at):%Y-%m-%d %H:%M}",
                slot.shift.minimum,
                "" if slot.shift.maximum is None else slot.shift.maximum,
                slot.people,
                slot.checked_in,
                Cell(slot).status,
                "; ".join(names[slot.shift_id]),
            ]
        )
    return rows
