"""Issue 14, item 11: a postcode's doors spread round its point in street order, none on another's
position (campaigns.door_map, no browser), and the pack's download carries the map: positions,
the shared points with their counts, and which doors are done on the server."""

import json
import math
import random
import re
import uuid

import pytest
from django.urls import reverse

from campaigns import door_map
from campaigns.services import canvass_record_visit, visit_void
from labourhub.models import AuditEvent, Role
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory

HIGH_STREET = (52.40001, -1.50002)
MILL_LANE = (52.40301, -1.49602)  # about 430 m away


def metres(a, b):
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def forty_doors_on_two_postcodes():
    """(points, order keys): 20 doors at each point, house numbers 1-20, listed shuffled."""
    doors = [(point, street, n) for point, street in ((HIGH_STREET, "High Street"), (MILL_LANE, "Mill Lane"))
             for n in range(1, 21)]  # fmt: skip
    random.Random(14).shuffle(doors)
    points = [point for point, _, _ in doors]
    order = [door_map.street_order(street, n, f"{n} {street}") for _, street, n in doors]
    return doors, points, order


def test_forty_doors_on_two_postcodes_get_forty_distinct_positions_near_their_point():
    doors, points, order = forty_doors_on_two_postcodes()
    spread = door_map.spread(points, order)
    assert len(set(spread.positions)) == 40
    assert [(p.latitude, p.longitude, p.doors) for p in spread.places] == sorted(
        [(*HIGH_STREET, 20), (*MILL_LANE, 20)], key=lambda p: points.index(p[:2])
    )
    for (point, _, _), position in zip(doors, spread.positions, strict=True):
        place = next(p for p in spread.places if (p.latitude, p.longitude) == point)
        assert position != point  # no door on the point itself: its count is shown there
        assert metres(position, point) <= place.radius_m + 0.5
        assert place.radius_m < 60  # 20 doors stay within a street's length of their postcode


def test_doors_go_round_their_point_in_street_order_each_next_to_the_one_before():
    doors, points, order = forty_doors_on_two_postcodes()
    spread = door_map.spread(points, order)
    for point, street in ((HIGH_STREET, "High Street"), (MILL_LANE, "Mill Lane")):
        by_number = {n: spread.positions[i] for i, (p, s, n) in enumerate(doors) if s == street}
        distances = [metres(by_number[n], point) for n in range(1, 21)]
        assert distances == sorted(distances)  # number 1 nearest, outwards from there
        assert metres(by_number[1], point) == pytest.approx(door_map.SPACING_M, abs=0.5)
        for n in range(1, 20):  # neighbours in the street are neighbours on the map
            assert metres(by_number[n], by_number[n + 1]) == pytest.approx(door_map.SPACING_M, rel=0.15)


def test_the_same_doors_always_land_in_the_same_places_whatever_order_they_come_in():
    doors, points, order = forty_doors_on_two_postcodes()
    first = dict(zip([(p, n) for p, _, n in doors], door_map.spread(points, order).positions, strict=True))
    again = list(zip(doors, points, order, strict=True))
    random.Random(99).shuffle(again)
    second = door_map.spread([p for _, p, _ in again], [o for _, _, o in again])
    assert dict(zip([(p, n) for (p, _, n), _, _ in again], second.positions, strict=True)) == first


def test_a_door_alone_at_its_point_stays_on_it_and_unknown_locations_stay_unknown():
    spread = door_map.spread([(52.1, -1.2), (None, None), (52.2, None)])
    assert spread.positions == [(52.1, -1.2), None, None]
    assert spread.places == []


def test_no_two_doors_share_a_position_even_where_two_points_crowd_together():
    near = (HIGH_STREET[0] + 0.00005, HIGH_STREET[1])  # 5.6 m north: the two spirals overlap
    points = [HIGH_STREET] * 30 + [near] * 30 + [(HIGH_STREET[0], HIGH_STREET[1] + 0.0002)]
    spread = door_map.spread(points)
    assert None not in spread.positions
    assert len(set(spread.positions)) == len(points)
    assert all(metres(a, b) > 0.5 for i, a in enumerate(spread.positions) for b in spread.positions[i + 1 :])


def test_order_keys_must_match_the_doors():
    with pytest.raises(ValueError, match="2 points but 1 order keys"):
        door_map.spread([HIGH_STREET, HIGH_STREET], [1])


def test_street_order_compares_numbers_in_addresses_as_numbers():
    addresses = ["Flat 10, 3 Mill Lane", "Flat 2, 3 Mill Lane", "1 Mill Lane", "The Cottage, Mill Lane"]
    keys = {
        "1 Mill Lane": door_map.street_order("Mill Lane", 1, "1 Mill Lane"),
        "Flat 2, 3 Mill Lane": door_map.street_order("Mill Lane", 3, "Flat 2, 3 Mill Lane"),
        "Flat 10, 3 Mill Lane": door_map.street_order("Mill Lane", 3, "Flat 10, 3 Mill Lane"),
        "The Cottage, Mill Lane": door_map.street_order("Mill Lane", None, "The Cottage, Mill Lane"),
    }
    assert sorted(addresses, key=keys.get) == [
        "1 Mill Lane",
        "Flat 2, 3 Mill Lane",
        "Flat 10, 3 Mill Lane",
        "The Cottage, Mill Lane",
    ]


# --- The pack's download carries its map ---------------------------------------------------------


def _homes(anytown, street, point, postcode, count):
    homes = []
    for n in range(1, count + 1):
        home = PropertyFactory(
            polling_district=anytown.polling_district,
            street=street,
            house_number=n,
            postcode=postcode.replace(" ", ""),
            postcode_display=postcode,
            latitude=point[0],
            longitude=point[1],
        )
        ElectorFactory(home=home, surname="Anytownson")
        homes.append(home)
    return homes


def _visit(campaign, pack, home, user):
    return canvass_record_visit(
        canvasser=user,
        campaign=campaign,
        pack=pack,
        elector=home.electors.get(),
        outcome="not_in",
        client_uuid=uuid.uuid4(),
    ).visit


@pytest.fixture
def campaign(anytown):
    return campaign_with_survey(anytown.constituency)


def test_the_pack_download_spreads_shared_points_and_counts_them(
    client, anytown, anytown_canvasser, campaign
):
    high = _homes(anytown, "High Street", HIGH_STREET, "AB1 1AA", 20)
    mill = _homes(anytown, "Mill Lane", MILL_LANE, "AB1 2BB", 20)
    lone = _homes(anytown, "Church Walk", (52.401, -1.501), "AB1 3CC", 1)
    pack = pack_with_doors(campaign, [*high[::-1], *mill, *lone])  # walked down High Street backwards
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)

    data = json.loads(client.get(reverse("campaigns:pack_data", args=[pack.pk])).content)

    positions = [tuple(door["m"]) for door in data["doors"]]
    assert len(set(positions)) == 41
    assert positions[-1] == (52.401, -1.501)  # alone on its point: stays there
    assert [(place["doors"], place["pc"]) for place in data["places"]] == [(20, "AB1 1AA"), (20, "AB1 2BB")]
    # Street order, not walking order: number 1 is nearest High Street's point though walked last.
    high_doors = {door["a"]: tuple(door["m"]) for door in data["doors"] if "High Street" in door["a"]}
    assert min(high_doors, key=lambda a: metres(high_doors[a], HIGH_STREET)) == "1 High Street"
    assert data["done"] == []


def test_the_pack_download_says_which_doors_are_done_in_this_pack(
    client, anytown, anytown_canvasser, campaign
):
    homes = _homes(anytown, "High Street", HIGH_STREET, "AB1 1AA", 4)
    pack = pack_with_doors(campaign, homes)
    other_pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    _visit(campaign, pack, homes[1], anytown_canvasser)  # done here, from another phone
    voided = _visit(campaign, pack, homes[2], anytown_canvasser)
    visit_void(visit=voided, user=anytown.user(Role.ORGANISER), reason="wrong door")
    _visit(campaign, other_pack, homes[3], anytown_canvasser)  # another pack's answer
    client.force_login(anytown_canvasser)

    data = json.loads(client.get(reverse("campaigns:pack_data", args=[pack.pk])).content)

    assert data["done"] == [homes[1].pk]


def test_the_map_page_is_a_shell_with_no_addresses_for_the_offline_cache(
    client, anytown, anytown_canvasser, campaign
):
    """The service worker keeps the page for offline use: the doors come from the pack's download
    (kept in IndexedDB, which sign-out wipes), never from the cached page."""
    homes = _homes(anytown, "Anytown Road", HIGH_STREET, "AB1 1AA", 3)
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = anytown_canvasser
    pack.save(update_fields=["assigned_to"])
    client.force_login(anytown_canvasser)

    page = client.get(reverse("campaigns:pack_map", args=[pack.pk])).content.decode()

    assert reverse("campaigns:pack_data", args=[pack.pk]) in page
    assert "1 Anytown Road" not in page and "Anytownson" not in page
    assert AuditEvent.objects.filter(action="pack.map", user=anytown_canvasser).exists()
    worker = client.get(reverse("campaigns:service_worker")).content.decode()
    assert "door_map.js" in worker and "leaflet.js" in worker  # the map's shell opens offline
    pages = json.loads(re.search(r"const PAGES = new RegExp\((.*)\);", worker).group(1))
    assert re.search(pages, reverse("campaigns:pack_map", args=[pack.pk]))  # and the page itself
