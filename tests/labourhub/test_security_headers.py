"""Personal data must never sit in a browser's or a proxy's cache: every response to a signed-in
user, and every API response, says `Cache-Control: no-store`."""

import pytest
from django.urls import reverse

from tests.voters.factories import ElectorFactory

pytestmark = pytest.mark.django_db


def _no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_personal_data_page_is_not_stored(client, anytown_secretary, anytown):
    elector = ElectorFactory(
        polling_district=anytown.polling_district, home__polling_district=anytown.polling_district
    )
    client.force_login(anytown_secretary)
    response = client.get(reverse("voters:elector", args=[elector.pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_streaming_csv_export_is_not_stored(client, anytown_secretary, anytown):
    ElectorFactory(polling_district=anytown.polling_district, home__polling_district=anytown.polling_district)
    client.force_login(anytown_secretary)
    response = client.get(reverse("voters:export"))
    assert response.status_code == 200 and response.streaming
    assert _no_store(response)
    b"".join(response.streaming_content)


def test_api_response_is_not_stored(client, regional_officer):
    client.force_login(regional_officer)
    response = client.get("/api/access/holdings/")
    assert response.status_code == 200
    assert _no_store(response)


def test_api_refusal_to_anonymous_is_not_stored(client):
    response = client.get("/api/access/holdings/")
    assert response.status_code in (401, 403)
    assert _no_store(response)


def test_admin_list_is_not_stored(client, anytown_secretary):
    client.force_login(anytown_secretary)
    response = client.get(reverse("admin:labourhub_auditevent_changelist"))
    assert response.status_code == 200
    assert _no_store(response)
