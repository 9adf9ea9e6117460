"""The committee-room board: what a room (or the whole constituency) needs to see at a glance,
read in a fixed, small number of queries however many electors, boxes and tellings there are.

board(election, room=None, now=None) -> Board
    per box and per polling district: promises, promises voted, still to get out, told/voted
    (everyone), telling coverage (hours in which a teller recorded anything at the box), the
    polling agent's latest count, "votes still to come" (an ESTIMATE, see `estimate_to_come`),
    rounds out and knockers out, lifts open; a suggested next district (most promises left
    to get out); turnout by hour; the not-yet-voted promises for the map (by door).
    `room` None: the constituency overview (every box, with a row per committee room).

Callers scope first: pass an election from `Election.objects.for_user(user, ...)` and a room
of that election. Telling coverage is `gotv.turnout.coverage` (the telling engineer's).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from campaigns.models import Pack
from gotv import board_sql, turnout
from gotv import promises as promise_lists
from gotv.coverage import hours_label, with_rota
from gotv.models import BallotBox, KnockUpOutcome, KnockUpRound, LiftRequest

# Share of a polling day's in-person votes usually cast by the end of each hour (07:00-22:00),
# a typical UK curve: a morning peak before work, a lull, the biggest peak after work. Used only
# for the "votes still to come" estimate, which the board labels as one.
TYPICAL_CUMULATIVE_SHARE = {
    7: 0.05, 8: 0.11, 9: 0.17, 10: 0.22, 11: 0.27, 12: 0.32, 13: 0.37, 14: 0.42,
    15: 0.47, 16: 0.53, 17: 0.61, 18: 0.70, 19: 0.79, 20: 0.88, 21: 0.96, 22: 1.0,
}  # fmt: skip

ESTIMATE_METHOD = (
    "Estimate: votes cast so far at the box (the polling agent's latest count, or else the "
    "voters told) scaled by a typical polling-day curve, i.e. so far × (1 − s) / s, where s is "
    "the share of a day's votes usually cast by this time of day."
)

MAP_DOOR_LIMIT = 3000  # doors on the map; the rest are counted, not drawn


def share_cast_by(election, now):
    """The typical share of the day's votes cast by `now` (0 before the polls open, 1 after)."""
    if now <= election.opens_at:
        return 0.0
    if now >= election.closes_at:
        return 1.0
    local = timezone.localtime(now)
    hour = local.hour
    before = TYPICAL_CUMULATIVE_SHARE.get(hour, 0.0 if hour < 7 else 1.0)
    after = TYPICAL_CUMULATIVE_SHARE.get(hour + 1, 0.0 if hour + 1 < 7 else 1.0)
    return before + (after - before) * (local.minute / 60)


def estimate_to_come(so_far, share):
    """Votes still to come at a box, from the votes so far and the share usually cast by now.
    None when there is nothing to scale (no votes seen, or the polls not open yet)."""
    if not so_far or share <= 0:
        return None
    return round(so_far * (1 - share) / share)


@dataclass
class Line:
    """One row of the board: a box, a district within it, or a committee room."""

    label: str
    promises: int = 0
    voted: int = 0  # promises seen to have voted
    to_get_out: int = 0
    told: int = 0  # everyone seen to have voted (tellings, doorstep, knock-up)
    coverage: list = field(default_factory=list)  # hours with tellings
    agent_count: int | None = None
    agent_as_of: datetime.datetime | None = None
    to_come: int | None = None
    rounds_out: int = 0
    knockers_out: int = 0
    lifts_open: int = 0
    districts: list = field(default_factory=list)  # Lines, under a box

    @property
    def coverage_label(self):
        """Hours as ranges: [7, 8, 9, 12] -> "07-10, 12-13"."""
        return hours_label(self.coverage)


@dataclass
class Board:
    election: object
    room: object
    now: datetime.datetime
    boxes: list  # [(box, Line)]
    rooms: list  # [(room, Line)] (overview)
    total: Line
    next_district: Line | None
    by_hour: list  # [(hour, voted)]
    doors: list  # [[lat, lng, n]] not-yet-voted promises by door
    doors_left_off: int
    share: float
    estimate_method: str = ESTIMATE_METHOD


def _boxes(election, room):
    boxes = (
        BallotBox.unscoped.filter(election=election)
        .select_related("station", "committee_room_link__committee_room")
        .order_by("station__name", "label")
    )
    if room is not None:
        boxes = boxes.filter(committee_room_link__committee_room=room)
    return list(boxes)


def _rounds(election):
    """{room id: (rounds out, knockers out)}: a knocker is out when they hold a pack of a round
    that is out, or recorded a door in one in the last hour."""
    rounds = dict(
        KnockUpRound.unscoped.filter(committee_room__election=election)
        .out()
        .values_list("committee_room_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    since = timezone.now() - datetime.timedelta(hours=1)
    holders = Pack.unscoped.filter(
        walk_list__knock_up_round__committee_room__election=election,
        walk_list__knock_up_round__closed_at__isnull=True,
        assigned_to__isnull=False,
    ).values_list("walk_list__knock_up_round__committee_room_id", "assigned_to_id")
    knocking = KnockUpOutcome.unscoped.filter(
        round__committee_room__election=election, round__closed_at__isnull=True, received_at__gte=since
    ).values_list("round__committee_room_id", "knocker_id")
    knockers = defaultdict(set)
    for room_id, user_id in holders.union(knocking):
        knockers[room_id].add(user_id)
    return {
        room_id: (rounds.get(room_id, 0), len(knockers.get(room_id, ()))) for room_id in rounds | knockers
    }


def _lifts_open(election):
    return dict(
        LiftRequest.unscoped.filter(election=election)
        .open()
        .values_list("committee_room_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _by_hour(election, voted, district_ids):
    """Turnout by hour at `district_ids`, from turnout.voted_by_hour's {(district, hour): n}."""
    counted = defaultdict(int)
    for (district, hour), n in voted.items():
        if district in district_ids:
            counted[hour] += n
    close = election.polls_close
    last_open = close.hour if (close.minute or close.second) else close.hour - 1  # 22:00 -> 21:00-22:00
    first, last = election.polls_open.hour, max(last_open, election.polls_open.hour)
    hours = sorted(set(range(first, last + 1)) | set(counted))
    return [(hour, counted.get(hour, 0)) for hour in hours]


def _promise_tallies(election, box_ids, links, room):
    """The promise counts by district and by box, and the map's doors, from one read of the
    promise list (gotv.board_sql). A room's board reads only its boxes' districts (each whole)."""
    district_ids = None
    if room is not None:
        shown = set(box_ids)
        district_ids = sorted({link.polling_district_id for link in links if link.box_id in shown})
    rows, doors = board_sql.tallies_and_doors(
        election, door_box_ids=box_ids, door_limit=MAP_DOOR_LIMIT + 1, links=links, district_ids=district_ids
    )
    by_district, by_box = defaultdict(promise_lists.Tally), defaultdict(promise_lists.Tally)
    for row in rows:
        tally = promise_lists.Tally(
            promises=row.promises,
            postal=row.postal,
            in_person=row.promises - row.postal,
            voted=row.voted,
            wont_vote=row.wont_vote,
            do_not_return=row.do_not_return,
            to_get_out=row.to_get_out,
        )
        by_district[row.poll_district_id].add(tally)
        by_box[row.box_id].add(tally)
    left_off = max(len(doors) - MAP_DOOR_LIMIT, 0)
    doors = [[round(lat, 5), round(lng, 5), n] for lat, lng, n in doors[:MAP_DOOR_LIMIT]]
    return by_district, by_box, doors, left_off


def board(election, room=None, now=None):
    now = now or timezone.now()
    share = share_cast_by(election, now)
    boxes = _boxes(election, room)
    links = promise_lists.box_links(election)  # read once: the boxes' rows and the promise list's CASE
    districts_of = defaultdict(list)
    for link in sorted(links, key=lambda link: link.polling_district.code):
        districts_of[link.box_id].append(link)
    by_district, by_box, doors, left_off = _promise_tallies(election, [box.pk for box in boxes], links, room)
    voted = turnout.voted_by_hour(election)
    told = defaultdict(int)
    for (district, _), n in voted.items():
        told[district] += n
    coverage = with_rota(turnout.coverage(election), election)  # tellings and the rota (issue 17)
    agents = turnout.latest_counts(election)
    rounds = _rounds(election)
    lifts = _lifts_open(election)

    def tally_into(line, tally):
        line.promises, line.voted, line.to_get_out = tally.promises, tally.voted, tally.to_get_out

    lines, district_lines, district_ids = [], [], []
    room_lines = {}
    for box in boxes:
        line = Line(box.label)
        tally_into(line, by_box.get(box.pk, promise_lists.Tally()))
        line.coverage = coverage.get(box.pk, [])
        for link in districts_of[box.pk]:
            pd = link.polling_district
            district = Line(str(link) if link.first_number or link.last_number else pd.code)
            district_ids.append(pd.pk)
            tally_into(district, by_district.get(pd.pk, promise_lists.Tally()))
            district.told = told.get(pd.pk, 0)
            district.box = box
            line.told += district.told
            line.districts.append(district)
            district_lines.append(district)
        count = agents.get(box.pk)
        if count is not None:
            line.agent_count, line.agent_as_of = count.ballots_issued, count.as_of
        so_far = line.agent_count if line.agent_count is not None else line.told
        line.to_come = estimate_to_come(so_far, share)
        lines.append((box, line))
        link = getattr(box, "committee_room_link", None)
        if link is not None:
            room_line = room_lines.setdefault(
                link.committee_room_id, (link.committee_room, Line(link.committee_room.name))
            )[1]
            for name in ("promises", "voted", "to_get_out", "told"):
                setattr(room_line, name, getattr(room_line, name) + getattr(line, name))
            if line.to_come is not None:
                room_line.to_come = (room_line.to_come or 0) + line.to_come
            if line.agent_count is not None:
                room_line.agent_count = (room_line.agent_count or 0) + line.agent_count

    total = Line("All boxes" if room is None else room.name)
    for _, line in lines:
        for name in ("promises", "voted", "to_get_out", "told"):
            setattr(total, name, getattr(total, name) + getattr(line, name))
        if line.to_come is not None:
            total.to_come = (total.to_come or 0) + line.to_come
        if line.agent_count is not None:
            total.agent_count = (total.agent_count or 0) + line.agent_count
    for room_id, (_, room_line) in room_lines.items():
        room_line.rounds_out, room_line.knockers_out = rounds.get(room_id, (0, 0))
        room_line.lifts_open = lifts.get(room_id, 0)
    room_ids = [room.pk] if room is not None else list(room_lines) + [None]
    total.rounds_out = sum(rounds.get(pk, (0, 0))[0] for pk in room_ids)
    total.knockers_out = sum(rounds.get(pk, (0, 0))[1] for pk in room_ids)
    total.lifts_open = sum(lifts.get(pk, 0) for pk in room_ids)

    candidates = [d for d in district_lines if d.to_get_out]
    next_district = max(candidates, key=lambda d: (d.to_get_out, d.label), default=None)
    return Board(
        election=election,
        room=room,
        now=now,
        boxes=lines,
        rooms=sorted(room_lines.values(), key=lambda pair: (not pair[0].is_main, pair[0].name)),
        total=total,
        next_district=next_district,
        by_hour=_by_hour(election, voted, set(district_ids)),
        doors=doors,
        doors_left_off=left_off,
        share=share,
    )


def hour_chart(by_hour, width=640, height=180):
    """Turnout by hour as bars for a server-rendered SVG (no script, so it refreshes with the
    rest of the board): [{x, y, w, h, hour, n}] plus the scale's top value."""
    top = max([n for _, n in by_hour] + [1])
    slot = width / max(len(by_hour), 1)
    bars = []
    for index, (hour, n) in enumerate(by_hour):
        h = round((height - 24) * n / top, 1)
        bars.append(
            {
                "x": round(index * slot + 2, 1),
                "w": round(slot - 4, 1),
                "y": round(height - 18 - h, 1),
                "h": h,
                "hour": f"{hour:02d}",
                "n": n,
                "label_x": round(index * slot + slot / 2, 1),
            }
        )
    return {"bars": bars, "top": top, "width": width, "height": height, "base": height - 18}
