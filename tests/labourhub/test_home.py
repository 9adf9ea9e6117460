"""Issue 14, item 7: every role reaches its jobs from the home page by following links, and an
officer's home shows what needs them today with numbers, scoped to their CLPs."""

import re
from collections import deque
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from access.models import AccessRequest
from access.models import Status as AccessStatus
from campaigns.models import PhoneNumber
from campaigns.services import call_list_create
from labourhub.models import Role
from labourhub.scoping import ROLES_FOR, Action
from members.models import EmailSend, MemberImport
from members.models import Status as MemberStatus
from tests.access.factories import ToolFactory, make_eligible, submit
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.factories import UserFactory
from tests.members.factories import EmailSendFactory, MemberFactory
from tests.voters.factories import ElectorFactory, PropertyFactory
from voters.models import NameChangeReview, RegisterImport

# The jobs of each action in the role table (labourhub/scoping.py, ROLES_FOR): the pages a person
# with that action comes to LabourHub for. Every action must say (a new one fails the first test).
JOBS = {
    Action.VIEW_VOTERS: ["voters:search"],
    Action.MANAGE_VOTERS: ["voters:imports"],
    Action.CANVASS: [
        "campaigns:index",
        "campaigns:relations",
        "campaigns:calllist",
        "campaigns:pack_canvass",
    ],
    Action.ORGANISE: [
        "campaigns:campaign_create",
        "campaigns:campaign",
        "campaigns:events",
        "campaigns:event_reports",
    ],
    Action.VIEW_MEMBERS: ["members:list", "members:volunteers"],
    Action.MANAGE_MEMBERS: ["members:emails", "members:import_upload"],
    Action.TELL: ["gotv:telling_home"],
    # A CASEWORK grant alone shows nothing: casework's pages need an office membership too
    # (tests/casework/test_pages.py follows the home link as a member of an office).
    Action.CASEWORK: [],
    Action.ENDORSE_ACCESS: ["access:endorser_queue"],
    Action.REVIEW_ACCESS: ["access:reviewer_queue"],
    Action.VIEW_AUDIT: ["admin:index"],  # the audit log is in the office admin
    Action.USE_ADMIN: ["admin:index"],
    Action.PROTECT_DATA: ["retention_preview", "dataprotection:requests", "dataprotection:breaches"],
    Action.READ_DATA_PROTECTION: [
        "dataprotection:breaches",
        "dataprotection:report",
        "dataprotection:records",
    ],
}
CLICKS = 2  # every job within this many clicks of home
HREF = re.compile(r'href="([^"#]+)')
NOT_FOLLOWED = ("/accounts/", "/static/", "/admin/")  # the admin is its own world: reaching it is enough


def test_every_action_says_what_its_jobs_are():
    assert set(JOBS) == set(Action)


def _crawl(client, clicks=CLICKS):
    """{url name: status} for every page reached from home by following links, at most `clicks` deep."""
    reached, seen = {}, {"/"}
    queue = deque([("/", 0, None)])
    while queue:
        path, depth, came_from = queue.popleft()
        response = client.get(path)
        try:
            name = resolve(urlsplit(path).path).view_name
        except Resolver404:
            name = path
        if response.status_code not in (200, 302):
            name = f"{name} (linked from {came_from})"
        reached.setdefault(name, response.status_code)
        if depth == clicks or response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        if path.startswith(NOT_FOLLOWED):
            continue
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&")
            if href.startswith("/") and not href.startswith("//") and href not in seen:
                if href.startswith("/static/") or href.endswith((".csv", ".json", ".js")):
                    continue
                seen.add(href)
                queue.append((href, depth + 1, path))
    return reached


@pytest.fixture
def anytown_work(anytown):
    """A campaign with a call list and a pack given to the canvasser, and a tool people ask for, so
    their jobs have a page."""
    ToolFactory(role=Role.CANVASSER)
    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district)
    elector = ElectorFactory(home=home, surname="Anytownson")
    PhoneNumber.unscoped.create(elector=elector, number="07700900123")
    call_list_create(campaign=campaign, name="Anytown calls", criteria={})
    anytown.made["pack"] = pack_with_doors(campaign, [home])
    from tests.gotv.factories import polling_day

    polling_day(anytown)  # an election, so its rota is a job to reach (organisers)
    return anytown


PERSONAS = [role for role in Role if role is not Role.REGIONAL_STAFF]


@pytest.mark.parametrize("role", [*PERSONAS, Role.REGIONAL_STAFF])
def test_every_job_of_a_role_is_reachable_from_home(client, anytown_work, regional_officer, role):
    user = regional_officer if role is Role.REGIONAL_STAFF else anytown_work.user(role)
    if role in ROLES_FOR[Action.CANVASS]:  # whoever canvasses has a pack given to them
        pack = anytown_work.made["pack"]
        pack.assigned_to = user
        pack.save(update_fields=["assigned_to"])
    client.force_login(user)
    reached = _crawl(client)
    jobs = {job for action, roles in ROLES_FOR.items() if role in roles for job in JOBS[action]}
    missing = {job for job in jobs if reached.get(job) != 200}
    assert not missing, f"{role.label} cannot reach {missing} from home within {CLICKS} clicks"
    # Nothing on the way is a dead end for them (a page they may not use, or one not built yet).
    broken = {name: status for name, status in reached.items() if status not in (200, 302)}
    assert not broken, f"{role.label} is led from home to {broken}"


def test_a_caseworker_is_shown_nothing_that_is_not_there_yet(client, anytown):
    client.force_login(anytown.user(Role.CASEWORKER))
    page = client.get(reverse("home")).text
    assert "casework" not in page.lower().replace("caseworker", "")
    assert reverse("gotv:my_lifts") not in page  # not a driver


def test_a_teller_has_polling_day_on_their_home(client, anytown):
    client.force_login(anytown.user(Role.TELLER))
    assert reverse("gotv:telling_home") in client.get(reverse("home")).text


# --- The officer's numbers ---------------------------------------------------------------------


def _needs(page):
    return {
        key: int(count)
        for key, count in re.findall(
            r'data-need="(\w+)"[^>]*><a [^>]*><strong class="count">(\d+)</strong>', page
        )
    }


def _make_imports(clp, *, running, failed, old_failed):
    for status, count, age in (
        (RegisterImport.Status.RUNNING, running, 0),
        (RegisterImport.Status.FAILED, failed, 1),
        (RegisterImport.Status.FAILED, old_failed, 30),
    ):
        for _ in range(count):
            RegisterImport.unscoped.create(
                constituency=clp, kind="update", file_name="x.csv", status=status,
                created_at=timezone.now() - timedelta(days=age),
            )  # fmt: skip


def test_an_officers_home_counts_what_needs_them_in_their_clp_only(client, anytown, otherton):
    today = timezone.localdate()
    for clp, n in ((anytown, 1), (otherton, 3)):
        _make_imports(clp.constituency, running=n, failed=n + 1, old_failed=2)
        for _ in range(n + 1):
            MemberFactory(constituency=clp.constituency, status=MemberStatus.LAPSED, lapsed_on=today)
        MemberFactory(
            constituency=clp.constituency,
            status=MemberStatus.LAPSED,
            lapsed_on=today.replace(day=1) - timedelta(days=1),
        )
        for state in (MemberImport.State.WAITING, MemberImport.State.RUNNING, MemberImport.State.REJECTED):
            for _ in range(n):
                MemberImport.unscoped.create(constituency=clp.constituency, file_name="m.csv", state=state)
        for _ in range(n):
            EmailSendFactory(constituency=clp.constituency, state=EmailSend.State.SENDING)
        EmailSendFactory(constituency=clp.constituency, state=EmailSend.State.DRAFT)
        tool = ToolFactory(role=Role.ORGANISER)
        for k in range(n + 2):
            person = make_eligible(
                UserFactory(email=f"asker{k}@{clp.constituency.name.lower()}.example"), clp.constituency
            )
            submit(tool, person, clp.constituency)
        for state in NameChangeReview.State:
            for _ in range(n):
                NameChangeReview.unscoped.create(
                    earlier=ElectorFactory(home=PropertyFactory(polling_district=clp.polling_district)),
                    later_summary="1 Smith, Ann",
                    state=state,
                    reason="same address and first names",
                )
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)

    needs = _needs(client.get(reverse("home")).text)

    mine = anytown.constituency
    week_ago = timezone.now() - timedelta(days=7)
    assert needs == {
        "register_imports_running": RegisterImport.unscoped.filter(
            constituency=mine, status="running"
        ).count(),
        "register_imports_failed": RegisterImport.unscoped.filter(
            constituency=mine, status="failed", created_at__gte=week_ago
        ).count(),
        "members_lapsed": 2,
        "member_imports_waiting": 1,
        "member_imports_running": 1,
        "member_imports_failed": 1,
        "email_sends_in_progress": 1,
        "access_to_endorse": AccessRequest.objects.filter(
            constituency=mine, status=AccessStatus.ENDORSEMENT
        ).count(),
        "name_changes_to_review": 1,
        "invitation_requests": 0,
    }
    assert needs["register_imports_running"] == 1 and needs["register_imports_failed"] == 2
    assert needs["access_to_endorse"] == 3


def test_a_canvasser_home_has_no_office_numbers(client, anytown):
    client.force_login(anytown.user(Role.CANVASSER))
    assert _needs(client.get(reverse("home")).text) == {}


def test_a_regional_officer_sees_requests_waiting_for_review(client, anytown, regional_officer):
    tool = ToolFactory(role=Role.ORGANISER, needs_endorsement=False)
    for k in range(2):
        submit(
            tool,
            make_eligible(UserFactory(email=f"asker{k}@anytown.example"), anytown.constituency),
            anytown.constituency,
        )
    client.force_login(regional_officer)
    needs = _needs(client.get(reverse("home")).text)
    assert needs["access_to_review"] == AccessRequest.objects.filter(status=AccessStatus.REVIEW).count() == 2


def test_the_api_tokens_page_and_the_status_page_are_a_click_from_home(client, anytown):
    """Nothing linked to either before (pages9): the token page was reached only by typing its URL."""
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("home")).text
    assert f'href="{reverse("api_tokens")}"' in page
    assert f'href="{reverse("status:page")}"' in page
    client.logout()
    assert f'href="{reverse("status:page")}"' in client.get(reverse("account_login")).text


def test_a_secretary_home_counts_requests_from_other_clps_waiting_for_their_answer(client, anytown, otherton):
    """pages9: nothing told the other CLP's secretary a request had come (its page sits behind Events)."""
    from campaigns.models import EventInvitation
    from tests.campaigns.event_factories import event_with_shift

    for title, state in (("Saturday", "asked"), ("Sunday", "asked"), ("Monday", "declined")):
        event, _ = event_with_shift(otherton.constituency, title=title, meeting_point="1 High St")
        event.visiting_constituencies.set([anytown.constituency])
        EventInvitation.unscoped.create(
            event=event, constituency=anytown.constituency, state=state, subject="Join us", body="Hello"
        )
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("home")).text
    assert _needs(page)["invitation_requests"] == 2
    assert f'href="{reverse("campaigns:invitation_requests")}"' in page
    client.force_login(otherton.user(Role.CLP_SECRETARY))  # the asking CLP has nothing to answer
    assert _needs(client.get(reverse("home")).text)["invitation_requests"] == 0
    client.force_login(anytown.user(Role.ORGANISER))  # answered only by those who email members
    assert "invitation_requests" not in _needs(client.get(reverse("home")).text)
