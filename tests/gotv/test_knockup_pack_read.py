"""The knocker's pack page reads its doors in one hand-written statement (gotv.knockup_sql): it must
give exactly the knock-up list's people (gotv.promises.knock_up) at the pack's doors, whatever the
rules in play, in walking order; and the page costs a fixed handful of queries however big."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gotv import knockup, knockup_sql, promises
from gotv.models import KnockUpRound
from labourhub.models import Role
from tests.campaigns.factories import CampaignFactory, pack_with_doors
from tests.gotv.test_board_perf import everything  # noqa: F401 (fixture: every rule at once)
from tests.prepared_statements import prepared_after
from voters.models import Elector, Property

pytestmark = pytest.mark.django_db


def _pack_over_everyone(anytown, election):
    """A pack over every home of the constituency's electors, in a shuffled walking order."""
    homes = list(
        Property.unscoped.filter(electors__polling_district__constituency=anytown.constituency).distinct()
    )
    homes.sort(key=lambda home: (home.pk * 7) % 11)
    return pack_with_doors(CampaignFactory(constituency=anytown.constituency), homes), homes


def _round_pack(anytown, day):
    """That pack as a pack of a knock-up round of the day's committee room."""
    pack, _ = _pack_over_everyone(anytown, day.election)
    KnockUpRound.unscoped.create(committee_room=day.room, walk_list=pack.walk_list, number=1,
                                 tellings_up_to=timezone.now(), created_by=anytown.user(Role.ORGANISER))  # fmt: skip
    return pack


def _expected(election, homes):
    """The knock-up list's own answer (the ORM definition) at these homes, door by door."""
    people = promises.knock_up(election).filter(home__in=[home.pk for home in homes])
    by_home = {}
    for elector in people:
        by_home.setdefault(elector.home_id, set()).add(elector.pk)
    return [(home.pk, by_home[home.pk]) for home in homes if home.pk in by_home]


def _read(pack, election):
    return [
        (door.home.pk, {person.pk for person in door.electors})
        for door in knockup.pack_doors_now(pack, election)
    ]


def test_the_pack_read_is_the_knock_up_list_whatever_the_rules(anytown, everything):  # noqa: F811
    day, _ = everything
    pack, homes = _pack_over_everyone(anytown, day.election)
    expected = _expected(day.election, homes)
    assert _read(pack, day.election) == expected
    everyone = Elector.unscoped.filter(home__in=homes).count()
    assert 5 < sum(len(people) for _, people in expected) < everyone  # some in, some ruled out


def test_the_pack_read_keeps_to_the_elections_wards(anytown, everything):  # noqa: F811
    from tests.factories import PollingDistrictFactory, WardFactory

    day, _ = everything
    pack, homes = _pack_over_everyone(anytown, day.election)
    elsewhere = WardFactory(constituency=anytown.constituency)
    PollingDistrictFactory(constituency=anytown.constituency, ward=elsewhere)
    day.election.wards.set([elsewhere])
    assert _read(pack, day.election) == _expected(day.election, homes) == []
    day.election.wards.set([anytown.ward, elsewhere])
    assert _read(pack, day.election) == _expected(day.election, homes) != []


def test_the_pack_read_without_a_postal_list(anytown, everything):  # noqa: F811
    day, _ = everything
    pack, homes = _pack_over_everyone(anytown, day.election)
    with_list = _read(pack, day.election)
    day.election.democracy_club_id = ""
    day.election.save(update_fields=["democracy_club_id"])
    assert _read(pack, day.election) == _expected(day.election, homes)
    assert sum(map(len, dict(_read(pack, day.election)).values())) > sum(map(len, dict(with_list).values()))


def test_doors_in_walking_order_and_each_doors_people_by_surname(anytown, everything):  # noqa: F811
    day, _ = everything
    pack, homes = _pack_over_everyone(anytown, day.election)
    rows = knockup_sql.pack_rows(pack_id=pack.pk, election=day.election)
    assert [row.position for row in rows] == sorted(row.position for row in rows)
    order = [home.pk for home in homes]
    assert [row.home_id for row in rows] == sorted((row.home_id for row in rows), key=order.index)
    people = Elector.unscoped.in_bulk([row.elector_id for row in rows])
    for row in rows:
        elector = people[row.elector_id]
        assert (row.first_names, row.surname, row.home_id) == (
            elector.first_names,
            elector.surname,
            elector.home_id,
        )
        assert row.poll_number_raw  # the number on the election's register, as the teller sees it


def test_the_pack_page_is_a_fixed_handful_of_queries(client, anytown, everything):  # noqa: F811
    """session; user with the MFA check (one statement); the pack with its round, election, constituency and region;
    may this user knock here; the doors and people; the audit row. None per door or person."""
    day, _ = everything
    pack = _round_pack(anytown, day)
    client.force_login(anytown.user(Role.CANVASSER))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("gotv:knockup_pack", args=[pack.pk]))
    assert page.status_code == 200
    shown = page.content.decode().count('class="knockup-person"')
    assert shown == sum(len(people) for _, people in _read(pack, day.election)) > 5
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 6, "\n\n".join(statements)


def test_the_phones_check_is_a_head_that_reads_no_doors_and_refuses_once_not_theirs(
    client,
    anytown,
    otherton,
    everything,  # noqa: F811
):
    """static/gotv/knockup.js asks with HEAD whether the kept pack is still the knocker's: yes
    without reading or rendering the doors (nothing audited: nothing shown), no (404) for another
    CLP's knocker and once the knocker's grant has ended."""
    from labourhub.models import AuditEvent, Grant
    from labourhub.services import grant_revoke

    day, _ = everything
    pack = _round_pack(anytown, day)
    url = reverse("gotv:knockup_pack", args=[pack.pk])
    knocker = anytown.user(Role.CANVASSER)
    client.force_login(knocker)
    with CaptureQueriesContext(connection) as queries:
        check = client.head(url)
    assert (check.status_code, check.content) == (200, b"")
    assert not any("voters_elector" in q["sql"] for q in queries.captured_queries)
    assert not AuditEvent.objects.filter(action="knock_up.pack").exists()
    assert client.get(url).status_code == 200  # the page itself, for comparison, is read and audited
    assert AuditEvent.objects.filter(action="knock_up.pack").count() == 1

    client.force_login(otherton.user(Role.CANVASSER))
    assert client.head(url).status_code == 404
    grant_revoke(grant=Grant.objects.get(user=knocker), revoked_by=None, reason="Went home")
    client.force_login(knocker)
    assert client.head(url).status_code == 404


def test_the_pack_statement_is_never_prepared_so_each_pack_gets_its_own_plan(anytown, everything):  # noqa: F811
    """With prepared statements on (DATABASE_PREPARE_THRESHOLD), a statement run often enough is
    prepared and PostgreSQL may keep one generic plan for every pack: measured 108 ms of Postgres a
    refresh against 23 for the plan made for the values at hand. The pack's read opts out."""
    day, _ = everything
    pack, _ = _pack_over_everyone(anytown, day.election)
    rows, prepared = prepared_after(lambda: knockup_sql.pack_rows(pack_id=pack.pk, election=day.election))
    assert rows
    assert not any("door.position" in statement for statement in prepared)
