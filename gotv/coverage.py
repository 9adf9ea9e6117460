"""Telling coverage: in which hours someone stood at each box, so the board can say "not seen"
rather than "not voted" where nobody was telling.

`telling_coverage(election=..., boxes=None)` -> {box id: sorted local hours (0-23)} in which a
teller recorded anything at the box: any telling (undone ones too: someone was there), by its
`recorded_at` (server-clamped phone time) in the election's local time. Tellers at a co-located
box tell for every box of the station (one entrance), so those boxes share their hours. Boxes with
no telling map to []. One GROUP BY over the election's tellings.

Callers scope first: pass an election from `Election.objects.for_user(user, ...)`.
"""

from collections import defaultdict

from django.db.models.functions import ExtractHour
from django.utils import timezone

from gotv.models import BallotBox, Telling
from gotv.rota import rostered_hours


def telling_coverage(*, election, boxes=None):
    boxes = list(boxes if boxes is not None else BallotBox.unscoped.filter(election=election))
    if not boxes:
        return {}
    all_boxes = {box.pk: box for box in BallotBox.unscoped.filter(election=election)}
    hours_at = defaultdict(set)
    rows = (
        Telling.unscoped.filter(election=election)
        .annotate(hour=ExtractHour("recorded_at", tzinfo=timezone.get_current_timezone()))
        .values_list("box_id", "hour")
        .distinct()
    )
    for box_id, hour in rows:
        hours_at[box_id].add(hour)
    shared = defaultdict(set)  # station -> hours seen at any of its co-located boxes
    for box_id, hours in hours_at.items():
        box = all_boxes.get(box_id)
        if box is not None and box.co_located:
            shared[box.station_id] |= hours
    return {
        box.pk: sorted(hours_at[box.pk] | (shared[box.station_id] if box.co_located else set()))
        for box in boxes
    }


def hours_label(hours):
    """Sorted hours as ranges, for the board and the after-the-poll report: [7, 8, 9, 13] ->
    "07–10, 13–14"."""
    spans, start, previous = [], None, None
    for hour in hours:
        if start is None:
            start = previous = hour
        elif hour == previous + 1:
            previous = hour
        else:
            spans.append((start, previous))
            start = previous = hour
    if start is not None:
        spans.append((start, previous))
    return ", ".join(f"{a:02d}–{b + 1:02d}" for a, b in spans)


def with_rota(coverage, election):
    """`coverage` ({box id: hours}) with the hours the polling-day rota has a teller booked or
    checked in at each box added (gotv/rota.py `rostered_hours`): the board counts a box covered
    by the rota as well as by tellings. Two queries."""
    merged = {box: set(hours) for box, hours in coverage.items()}
    for box, hours in rostered_hours(election).items():
        merged.setdefault(box, set()).update(hours)
    return {box: sorted(hours) for box, hours in merged.items()}
