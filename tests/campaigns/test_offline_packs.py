"""The canvasser's pack list and a pack's download, as the phone sees them (issue 14, items 9 and 10)."""

import re

import pytest
from django.urls import reverse

from campaigns.models import PackDownload
from campaigns.packs import download_kb
from campaigns.services import survey_revise
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey, pack_with_doors
from tests.voters.factories import ElectorFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def make_pack(anytown, canvasser, doors, people_per_door, street="Anytown Road"):
    campaign = campaign_with_survey(anytown.constituency)
    homes = [
        PropertyFactory(
            polling_district=anytown.polling_district,
            street=street,
            house_number=n,
            address=f"{n} {street}, Anytown",
            latitude=52.12345 + n / 10_000,
            longitude=-1.23456,
        )
        for n in range(1, doors + 1)
    ]
    for home in homes:
        for i in range(people_per_door):
            ElectorFactory(home=home, surname="Anytownson-Smith", first_names=f"Alexandra{i} Jane")
    pack = pack_with_doors(campaign, homes)
    pack.assigned_to = canvasser
    pack.save(update_fields=["assigned_to"])
    return pack


@pytest.mark.parametrize(("doors", "people"), [(5, 1), (40, 2), (120, 3)])
def test_the_size_shown_before_downloading_is_close_to_the_real_download(
    client, anytown, anytown_canvasser, doors, people
):
    pack = make_pack(anytown, anytown_canvasser, doors, people)
    client.force_login(anytown_canvasser)
    real = len(client.get(reverse("campaigns:pack_data", args=[pack.pk])).content)
    estimate = download_kb(doors=doors, people=doors * people) * 1024
    assert abs(estimate - real) <= max(real / 3, 1024), f"estimated {estimate} B, real {real} B"


def test_the_pack_list_shows_each_packs_size_and_the_download_button(client, anytown, anytown_canvasser):
    pack = make_pack(anytown, anytown_canvasser, 40, 2)
    client.force_login(anytown_canvasser)
    page = client.get(reverse("campaigns:index")).content.decode()
    assert re.search(rf"{pack.sheet_id}.*?40 doors · about {download_kb(doors=40, people=80)} KB", page, re.S)
    assert "Download my packs for offline" in page
    # It downloads through the pack's data URL, which issues the server's token (late entry).
    assert reverse("campaigns:pack_data", args=[pack.pk]) in page
    assert "On this phone" in page
    assert not PackDownload.objects.exists()  # listing is not downloading


def test_no_download_button_without_packs(client, anytown):
    client.force_login(anytown.user(Role.CANVASSER))
    page = client.get(reverse("campaigns:index")).content.decode()
    assert "Download my packs for offline" not in page
    assert "On this phone" in page  # what an earlier pack left on the phone is still listed


def test_the_phone_asks_voting_intention_first_then_the_surveys_order(client, anytown, anytown_canvasser):
    pack = make_pack(anytown, anytown_canvasser, 1, 1)
    survey = pack.walk_list.campaign.surveys.get()
    survey_revise(
        survey=survey,
        questions=[
            {"key": "poster", "kind": "yes_no", "text": "Will you display a poster?"},
            {"key": "issues", "kind": "issues", "text": "What matters most?"},
            {"key": "vi", "kind": "intention", "text": "How will you vote?"},
            {"key": "volunteer", "kind": "yes_no", "text": "Would you help?"},
        ],
    )
    client.force_login(anytown_canvasser)
    data = client.get(reverse("campaigns:pack_data", args=[pack.pk])).json()
    assert [q["key"] for q in data["survey"]["questions"]] == ["vi", "poster", "issues", "volunteer"]
