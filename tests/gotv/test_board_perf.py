"""The board's one heavy read (gotv.board_sql) gives the promise list's own counts and knock-up doors.
Its plan at constituency size (every subquery hashed, none re-run per elector) is checked by
tests/perf/bench_board.py: on a test database's few rows the planner rightly runs them per row."""

import pytest

from gotv import board_sql
from tests.campaigns.factories import CampaignFactory
from tests.gotv.factories import canvassed, enter, polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(anytown):
    day = polling_day(anytown, name="Anytown general election")
    campaign = CampaignFactory(constituency=anytown.constituency)
    for number in range(1, 4):
        home = PropertyFactory(polling_district=anytown.polling_district, latitude=51.0, longitude=-1.5)
        elector = ElectorFactory(home=home, elector_number=number, surname="Anytownson")
        enter(day.election.publication, elector)
        canvassed(elector, "L", campaign=campaign)
    return day


def test_the_boards_read_gives_the_promise_lists_counts(anytown, day):
    from gotv import promises

    rows, doors = board_sql.tallies_and_doors(day.election, door_box_ids=[day.box.pk], door_limit=10)
    counts = promises.counts(day.election)
    assert sum(row.promises for row in rows) == counts.total.promises == 3
    assert sum(row.to_get_out for row in rows) == counts.total.to_get_out == 3
    assert doors == [(51.0, -1.5, 3)]
