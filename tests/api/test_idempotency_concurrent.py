"""The same POST three times at once with one Idempotency-Key makes one contact (issue 18, item 3),
against the live server's threads and real commits."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from campaigns.models import Visit
from labourhub.api_v1.models import Scope
from labourhub.models import Role
from tests.api.conftest import make_token
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory


def _post(url, secret, body, key):
    request = urllib.request.Request(  # noqa: S310  (the live server's http URL)
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.mark.usefixtures("generous_rate_limits")
def test_three_concurrent_posts_with_one_key_make_one_contact(transactional_db, live_server, anytown):
    campaign = campaign_with_survey(anytown.constituency)
    home = PropertyFactory(polling_district=anytown.polling_district)
    elector = ElectorFactory(home=home, surname="Anytownson")
    pack = pack_with_doors(campaign, [home])
    pack.assigned_to = anytown.user(Role.CANVASSER)
    pack.save(update_fields=["assigned_to"])
    _, secret = make_token(anytown.user(Role.CANVASSER), [Scope.CONTACTS_WRITE])
    # No client uuid: the server makes a new one for each request, so only the key keeps it to one.
    body = {"pack": pack.pk, "elector": elector.pk, "outcome": "spoke"}
    start, results = threading.Barrier(3), []

    def send():
        start.wait()
        results.append(_post(f"{live_server.url}/api/v1/contacts/", secret, body, "retry-me"))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in results] == [201, 201, 201], results
    assert len({answer["visit"] for _, answer in results}) == 1
    assert Visit.unscoped.filter(elector=elector).count() == 1
    # Without the key, the same body twice is two contacts: the key is what held it to one.
    _post(f"{live_server.url}/api/v1/contacts/", secret, body, "another")
    assert Visit.unscoped.filter(elector=elector).count() == 2
