"""axe-core on every polling-day page, as each page's user sees it, on a 360x740 phone and a
1280x800 desktop: no serious or critical violation anywhere (tests/e2e/axe.py)."""

import importlib
import uuid

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from gotv.models import WarpCount
from gotv.services import knock_up_round_create, telling_record
from labourhub.models import Role
from tests.conftest import sign_in
from tests.e2e.axe import at_sizes, axe_problems
from tests.gotv.factories import DriverFactory, LiftRequestFactory, canvassed, enter, polling_day
from tests.gotv.factories_ops import mark_postal
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    importlib.import_module("campaigns.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture
def day(anytown):
    """An election today with promises, a telling, a WARP count, a knock-up round out, a lift given
    to the canvasser and a postal voter among the promises: every page has something to show."""
    day = polling_day(anytown, name="Anytown general election")
    day.election.campaign = Campaign.unscoped.create(
        constituency=anytown.constituency, name="Anytown polling day", starts_on=day.election.poll_date
    )
    day.election.democracy_club_id = "parl.anytown.today"
    day.election.save(update_fields=["campaign", "democracy_club_id"])
    people = []
    for n in range(1, 6):
        home = PropertyFactory(polling_district=anytown.polling_district, street="Anytown Road", house_number=n,
                               address=f"{n} Anytown Road", postcode="AT11AA", postcode_display="AT1 1AA",
                               latitude=52.0 + n / 1000, longitude=-1.5)  # fmt: skip
        elector = ElectorFactory(home=home, elector_number=n, surname=f"Knockson{n}", first_names="Pat")
        enter(day.election.publication, elector)
        canvassed(elector, "L", campaign=day.election.campaign)
        people.append(elector)
    mark_postal(day.election, people[4])
    teller = anytown.user(Role.TELLER)
    telling_record(
        teller=teller, election=day.election, box=day.box, raw_number="1", client_uuid=uuid.uuid4()
    )
    WarpCount.unscoped.create(election=day.election, box=day.box, label="Independent", votes=12,
                             recorded_by=teller, recorded_at=timezone.now())  # fmt: skip
    made = knock_up_round_create(committee_room=day.room, user=anytown.user(Role.ORGANISER))
    driver = DriverFactory(election=day.election, name="Dee Driver", user=anytown.user(Role.CANVASSER))
    LiftRequestFactory(election=day.election, name="Len Lift", address="9 Anytown Road", phone="07700900222",
                       driver=driver, status="assigned", wheelchair=True)  # fmt: skip
    LiftRequestFactory(election=day.election, name="Olive Open", address="10 Anytown Road")
    return day, made


def _pages(day, made):
    """(who, url name, args) for every polling-day page."""
    election, room, box = day.election.pk, day.room.pk, day.box.pk
    pack = made.walk_list.packs.get().pk
    return [
        (Role.TELLER, "gotv:telling_home", []),
        (Role.TELLER, "gotv:telling_box", [election, box]),
        (Role.ORGANISER, "gotv:telling_counts", [election]),
        (Role.ORGANISER, "gotv:index", []),
        (Role.ORGANISER, "gotv:election", [election]),
        (Role.ORGANISER, "gotv:board_overview", [election]),
        (Role.ORGANISER, "gotv:board", [election, room]),
        (Role.ORGANISER, "gotv:knockup_rounds", [election, room]),
        (Role.ORGANISER, "gotv:knockup_round", [election, made.pk]),
        (Role.ORGANISER, "gotv:knockup_paper", [election, made.pk]),
        (Role.CANVASSER, "gotv:knockup_pack", [pack]),
        (Role.CANVASSER, "gotv:knockup_pack_print", [pack]),
        (Role.ORGANISER, "gotv:lifts", [election]),
        (Role.CANVASSER, "gotv:my_lifts", []),
        (Role.CANVASSER, "gotv:postal_chase", [election]),
        (Role.ORGANISER, "gotv:postal_labels", [election]),
        (Role.ORGANISER, "gotv:after_poll", [election]),
        (Role.ORGANISER, "gotv:stations_import", [election]),
    ]


def test_every_polling_day_page_passes_axe_on_a_phone_and_a_desktop(
    browser_context, live_server, anytown, day
):
    day, made = day
    pages, problems, checked = {}, [], 0
    for role, name, args in _pages(day, made):
        if role not in pages:
            context = browser_context.browser.new_context(base_url=live_server.url, is_mobile=False)
            sign_in(context, live_server, anytown.user(role))
            pages[role] = context.new_page()
        page = pages[role]
        response = page.goto(reverse(name, args=args))
        assert response.status == 200, f"{name}: {response.status}"
        for _size in at_sizes(page):
            problems += axe_problems(page)
            checked += 1
    for page in pages.values():
        page.context.close()
    assert checked == 2 * len(_pages(day, made))
    assert not problems, "axe-core found serious or critical problems:\n" + "\n".join(problems)


def test_the_harness_fails_on_a_serious_problem_and_names_it(browser_page):
    """The net itself: a button with no name (critical) and grey text on grey (serious) are
    reported with the rule and the element; the same page with them fixed passes."""
    page = browser_page
    page.set_content(
        "<html lang=en><title>t</title><main><h1>t</h1><button id=nameless></button>"
        '<p id=faint style="color:#777;background:#888">Hard to read</p></main></html>'
    )
    problems = axe_problems(page)
    assert any(p.startswith("button-name [critical]") and "#nameless" in p for p in problems), problems
    assert any(p.startswith("color-contrast [serious]") and "#faint" in p for p in problems), problems
    page.set_content(
        "<html lang=en><title>t</title><main><h1>t</h1><button>Go</button>"
        '<p style="color:#000;background:#fff">Easy to read</p></main></html>'
    )
    assert axe_problems(page) == []
