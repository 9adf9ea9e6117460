"""What a hand walk-through at 360 px found on the API tokens page (pages9)."""

import re

import pytest
from django.urls import reverse

from labourhub.models import Role

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_in_a_box_that_stands_out_and_the_list_reads_as_cards_on_a_phone(
    client, anytown
):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    url = reverse("api_tokens")
    assert "No tokens yet: make one below." in client.get(url).text
    page = client.post(url, {"name": "Sheets sync", "scopes": ["members:read"]}).text
    box = re.search(r'<div class="notice message warning" role="status">(.*?)</div>', page, re.S)
    assert box and re.search(
        r'<code id="new-token">lh_\S+</code>', box.group(1)
    )  # not plain text among the rest
    assert '<table class="stack">' in page
    assert '<td data-label="Scopes">members:read</td>' in page
    assert "<th></th>" not in page  # the revoke column has a header a screen reader can name
    assert "No tokens yet" not in page
