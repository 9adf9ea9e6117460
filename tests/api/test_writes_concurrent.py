"""The same POST three times at once with one Idempotency-Key applies once, for each write of the
members, access, events and tellings resources (issue 18, items 1 and 3): against the live server's
threads and real commits, as tests/api/test_idempotency_concurrent.py does for contacts. One test, so
the database is emptied once."""

import threading
import uuid

import pytest
from django.utils import timezone

from access.models import AccessRequest
from campaigns.models import Signup
from gotv.models import Telling
from labourhub.api_v1.models import Scope
from labourhub.models import Role
from members.models import Consent
from tests.access.factories import ToolFactory, make_eligible
from tests.api.conftest import make_token
from tests.api.test_idempotency_concurrent import _post
from tests.campaigns.event_factories import event_with_shift
from tests.factories import UserFactory
from tests.gotv.factories import polling_day
from tests.members.factories import MemberFactory
from tests.voters.factories import ElectorFactory, PropertyFactory


def _three_at_once(url, secret, body, key):
    start, results = threading.Barrier(3), []

    def send():
        start.wait()
        results.append(_post(url, secret, body, key))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.usefixtures("generous_rate_limits")
def test_each_write_applies_once_when_posted_three_times_at_once(transactional_db, live_server, anytown):
    api = f"{live_server.url}/api/v1"
    member = MemberFactory(constituency=anytown.constituency)
    volunteer = make_eligible(UserFactory(email="volunteer@anytown.example"), anytown.constituency)
    tool = ToolFactory(name="Doorstep", slug="doorstep")
    event, shift = event_with_shift(anytown.constituency)
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district), elector_number=7
    )
    day = polling_day(anytown, electors=[elector])
    writes = [
        (
            anytown.user(Role.CLP_SECRETARY),
            Scope.MEMBERS_WRITE,
            f"{api}/members/{member.pk}/consents/",
            {"channel": "sms", "granted": True, "wording": "Ticked the SMS box"},
            lambda: Consent.unscoped.filter(member=member).count(),
        ),
        (
            volunteer,
            Scope.ACCESS_WRITE,
            f"{api}/access/requests/",
            {
                "tool": tool.slug,
                "constituency": anytown.constituency.gss_code,
                "reason": "Saturday sessions",
                "needed_by": (timezone.localdate() + timezone.timedelta(days=7)).isoformat(),
            },
            lambda: AccessRequest.objects.filter(requester=volunteer).count(),
        ),
        (
            anytown.user(Role.ORGANISER),
            Scope.EVENTS_WRITE,
            f"{api}/events/{event.pk}/signups/",
            {
                "shift": shift.pk,
                "name": "Sam Anytownson",
                "email": "sam@anytown.example",
                "consent_email": True,
            },
            lambda: Signup.unscoped.filter(shift=shift).count(),
        ),
        (
            anytown.user(Role.TELLER),
            Scope.TELLINGS_WRITE,
            f"{api}/tellings/",
            {
                "election": day.election.pk,
                "box": day.box.pk,
                "entries": [{"uuid": str(uuid.uuid4()), "number": "7"}],
            },
            lambda: Telling.unscoped.filter(election=day.election).count(),
        ),
    ]
    for user, scope, url, body, count in writes:
        _, secret = make_token(user, [scope])
        results = _three_at_once(url, secret, body, f"retry-{scope}")
        statuses = [status for status, _ in results]
        assert statuses[0] in (200, 201) and statuses == statuses[:1] * 3, (url, results)
        assert all(answer == results[0][1] for _, answer in results), (url, results)
        assert count() == 1, url
