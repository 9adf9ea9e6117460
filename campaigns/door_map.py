"""Where each door goes on a map, when many doors share one point.

Most properties are located by their postcode's centre, so the 20 doors of one postcode all have
the same latitude and longitude and a map draws them as one dot. `spread` lays the doors of each
shared point out on a small spiral around it (spacing `SPACING_M` metres between neighbours), in
the order given (street order: see `street_order`), so the first door is nearest the point and each
next door sits next to the one before. It is plain arithmetic with no randomness: the same doors
always land in the same places, and no two doors ever share a position (a position a spiral would
reuse, from a neighbouring point's spiral, is skipped).

Used by the pack's map (campaigns.packs.pack_download, drawn by static/campaigns/door_map.js) and
the polling-day board's map of doors still to get out (gotv.views_board).
"""

import math
import re
from collections.abc import Hashable, Iterator, Sequence
from typing import NamedTuple

SPACING_M = 14.0  # about 38 px at zoom 18 and 19 px at zoom 17: a 22 px marker per door stays apart
POINT_DIGITS = 5  # doors closer than about a metre are one point (pack data rounds to 5 digits)
SPREAD_DIGITS = 6  # positions sent to the phone: 0.1 m, well inside the spacing
_METRES_PER_DEGREE = 111_320.0


class Place(NamedTuple):
    """A point shared by two or more doors: where the count is shown."""

    latitude: float
    longitude: float
    doors: int
    radius_m: float  # every door of the place is within this distance of its point


class Spread(NamedTuple):
    positions: list[tuple[float, float] | None]  # per door, in the order given; None: no location
    places: list[Place]  # in order of their first door


def street_order(street: str, house_number: int | None, address: str) -> tuple[Hashable, ...]:
    """A sort key for doors in street order: street, house number, then the address with its numbers
    compared as numbers ("Flat 2" before "Flat 10")."""
    natural = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", address.casefold())
        if part
    )
    return (street.casefold(), house_number is None, house_number or 0, natural)


def _spiral(spacing: float) -> Iterator[tuple[float, float, float]]:
    """(metres east, metres north, distance) of points on an Archimedean spiral whose turns are
    `spacing` apart, `spacing` apart along it, starting one spacing north of the centre and going
    clockwise."""
    theta = 2 * math.pi
    while True:
        radius = spacing * theta / (2 * math.pi)
        yield radius * math.sin(theta), radius * math.cos(theta), radius
        theta += spacing / radius


def _offset(latitude: float, longitude: float, east: float, north: float) -> tuple[float, float]:
    lat = latitude + north / _METRES_PER_DEGREE
    lng = longitude + east / (_METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return round(lat, SPREAD_DIGITS), round(lng, SPREAD_DIGITS)


def spread(
    points: Sequence[tuple[float | None, float | None]],
    order: Sequence[Hashable] | None = None,
    *,
    spacing: float = SPACING_M,
) -> Spread:
    """Map positions for doors at `points` ((latitude, longitude), either None when unknown).

    Doors alone at their point stay on it; doors sharing a point are spread around it in the order
    of `order` (one sort key per door; default: the order given). Positions are rounded to
    `SPREAD_DIGITS` and all distinct."""
    keys = list(order) if order is not None else list(range(len(points)))
    if len(keys) != len(points):
        raise ValueError(f"spread: {len(points)} points but {len(keys)} order keys")
    groups: dict[tuple[float, float], list[int]] = {}
    for index, (lat, lng) in enumerate(points):
        if lat is not None and lng is not None:
            key = (round(lat, POINT_DIGITS), round(lng, POINT_DIGITS))
            groups.setdefault(key, []).append(index)

    positions: list[tuple[float, float] | None] = [None] * len(points)
    used: set[tuple[float, float]] = set()
    # Lone doors first, on their own points, so a neighbouring spiral steps round them.
    for (lat, lng), members in groups.items():
        if len(members) == 1:
            position = _offset(lat, lng, 0.0, 0.0)
            positions[members[0]] = position
            used.add(position)
    places = []
    for (lat, lng), members in groups.items():
        if len(members) == 1:
            continue
        spiral = _spiral(spacing)
        radius = 0.0
        for index in sorted(members, key=lambda i: (keys[i], i)):
            while True:
                east, north, radius = next(spiral)
                position = _offset(lat, lng, east, north)
                if position not in used:
                    break
            positions[index] = position
            used.add(position)
        places.append(Place(lat, lng, len(members), round(radius, 1)))
    places.sort(key=lambda place: min(groups[(place.latitude, place.longitude)]))
    return Spread(positions, places)
