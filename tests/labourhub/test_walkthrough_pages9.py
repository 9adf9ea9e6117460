"""What a hand walk-through at 360 px found on the API tokens and knock-up texts pages (pages9)."""

import re

import pytest
from django.urls import reverse

from labourhub.models import Role
from tests.gotv.test_knockup_rounds import day as day  # noqa: F401  (the fixtures)
from tests.gotv.test_knockup_texts import members as members  # noqa: F401

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
    assert re.search(r'<td data-label="Scopes"><ul><li>[^<]+ <code>members:read</code></li></ul></td>', page)
    assert "<th></th>" not in page  # the revoke column has a header a screen reader can name
    assert "No tokens yet" not in page


# --- Knock-up texts (gotv/templates/gotv/knockup_rounds.html) ------------------------------------


def test_knock_up_texts_keep_the_typed_text_to_change_it_and_say_when_nobody_can_be_texted(
    client, anytown, day, members, sms_provider
):
    """pages9: "Change" was a link back to the empty form (the typed text was lost), and a district
    with nobody to text said "Send this text to 0 promises?" with no button."""
    from labourhub.models import SmsMessage

    client.force_login(anytown.user(Role.ORGANISER))
    url = reverse("gotv:knockup_rounds", args=[day.election.pk, day.room.pk])
    body = "Polls close at 10pm, Anytown: please vote Labour today!"
    ask = client.post(url, {"part": "text", "district": anytown.polling_district.pk, "body": body}).text
    assert 'data-figure="text_count">Send this text to <strong>1</strong> promise' in ask
    change = ask[ask.index("Change the text or the district") :]
    assert f'maxlength="600">{body}</textarea>' in change
    assert f'<option value="{anytown.polling_district.pk}" selected>' in change
    members[1].consent_sms = False
    members[1].save(update_fields=["consent_sms"])
    none = client.post(url, {"part": "text", "district": anytown.polling_district.pk, "body": body}).text
    assert f"Nobody to text in {anytown.polling_district.code}" in none
    assert "Send this text to" not in none and "Send 0 texts" not in none
    assert not SmsMessage.unscoped.exists()
