"""Issue 14, item 12: dates are typed day first (dd/mm/yyyy) in every browser. Chromium draws
<input type="date"> in the browser's own language (mm/dd/yyyy in a US-English one, whatever the page's
lang), so the site's date boxes are text boxes read by labourhub.forms.parse_day_first."""

import datetime
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from labourhub.forms import (
    DayFirstDateField,
    DayFirstDateTimeField,
    parse_day_first,
    parse_day_first_datetime,
)
from labourhub.models import Role

ROOT = Path(__file__).resolve().parents[2]
APPS = ("labourhub", "voters", "members", "campaigns", "gotv", "access", "casework", "templates")


@pytest.mark.parametrize(
    "typed",
    ["31/01/2027", "31/1/2027", "31-01-2027", "31.01.2027", "31 01 2027", " 31 / 01 / 2027 ", "2027-01-31"],
)
def test_a_date_typed_day_first_or_as_iso_is_read(typed):
    assert parse_day_first(typed) == datetime.date(2027, 1, 31)


@pytest.mark.parametrize(
    "typed, says",
    [
        ("01/31/2027", "there is no month 31 (the day comes first)"),
        ("31/02/2027", "there is no day 31 in February 2027"),
        ("29/02/2027", "there is no day 29 in February 2027"),
        ("31/01/27", "Write the year in full"),
        ("31/01", "is not a date"),
        ("tomorrow", "is not a date"),
        ("2027-13-01", "there is no month 13"),
    ],
)
def test_a_wrong_or_ambiguous_date_says_what_is_wrong(typed, says):
    with pytest.raises(ValidationError) as raised:
        parse_day_first(typed)
    assert says in raised.value.messages[0]
    assert "dd/mm/yyyy" in raised.value.messages[0] or "no day" in raised.value.messages[0]


def test_blank_is_no_date():
    assert parse_day_first("  ") is None
    assert DayFirstDateField(required=False).clean("") is None


def test_the_box_is_text_showing_the_date_day_first():
    field = DayFirstDateField()
    html = field.widget.render("on", datetime.date(2027, 1, 31))
    assert 'type="text"' in html and 'value="31/01/2027"' in html and 'placeholder="dd/mm/yyyy"' in html


def test_no_date_box_on_the_site_is_drawn_by_the_browser():
    """Every form and template: no <input type="date"> (nor a widget asking for one) is left."""
    found = []
    pattern = re.compile(
        r"""type\s*=\s*["']?(date|datetime-local)["'\s>]|["']type["']\s*:\s*["'](date|datetime-local)["']"""
    )
    for folder in APPS:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if pattern.search(line) and not line.lstrip().startswith("#"):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


@pytest.fixture
def organiser(anytown):
    return anytown.user(Role.ORGANISER)


def _create(client, anytown, **dates):
    data = {"name": "Anytown winter doorstep", "constituency": anytown.constituency.pk, **dates}
    return client.post(reverse("campaigns:campaign_create"), data)


def test_a_form_sent_with_31_01_2027_saves_31_january_2027(client, anytown, organiser):
    client.force_login(organiser)
    response = _create(client, anytown, starts_on="31/01/2027", ends_on="28/02/2027")
    assert response.status_code == 302
    campaign = Campaign.unscoped.get(name="Anytown winter doorstep")
    assert campaign.starts_on == datetime.date(2027, 1, 31)
    assert campaign.ends_on == datetime.date(2027, 2, 28)


def test_a_wrong_date_is_an_error_next_to_its_box_which_keeps_what_was_typed(client, anytown, organiser):
    client.force_login(organiser)
    response = _create(client, anytown, starts_on="01/31/2027", ends_on="")
    assert response.status_code == 200
    assert not Campaign.unscoped.filter(name="Anytown winter doorstep").exists()
    page = response.content.decode()
    box = re.search(r'<label for="id_starts_on".*?name="starts_on"[^>]*>', page, re.S)[0]
    assert "there is no month 31 (the day comes first)" in box
    assert 'value="01/31/2027"' in box


def test_report_dates_are_typed_day_first_and_kept_when_wrong(client, anytown, organiser):
    campaign = Campaign.unscoped.create(constituency=anytown.constituency, name="Anytown autumn")
    client.force_login(organiser)
    url = reverse("campaigns:report", args=[campaign.pk])
    response = client.get(url, {"from": "01/11/2026", "to": "31/13/2026"})
    assert response.context["start"] == datetime.date(2026, 11, 1)
    assert response.context["end"] is None
    page = response.content.decode()
    assert "To: &#x27;31/13/2026&#x27;: there is no month 13" in page
    assert 'value="31/13/2026"' in page and 'value="01/11/2026"' in page


@pytest.mark.parametrize(
    "typed",
    ["31/01/2027 18:30", "31/1/2027 18.30", "31-01-2027, 6:30pm", "31 01 2027 6:30 PM", "2027-01-31T18:30"],
)
def test_a_date_and_time_typed_day_first_is_read_in_uk_time(typed):
    assert timezone.localtime(parse_day_first_datetime(typed)) == timezone.make_aware(
        datetime.datetime(2027, 1, 31, 18, 30)
    )


@pytest.mark.parametrize(
    "typed, says",
    [
        ("31/01/2027", "needs a date and a time"),
        ("01/31/2027 18:30", "there is no month 31 (the day comes first)"),
        ("31/01/2027 25:00", "is not a time of day"),
        ("31/01/2027 13:00pm", "13 is not an hour of the pm"),
        ("2026-13-45T99:00", "there is no month 13"),
    ],
)
def test_a_wrong_date_and_time_says_what_is_wrong(typed, says):
    with pytest.raises(ValidationError) as raised:
        parse_day_first_datetime(typed)
    assert says in raised.value.messages[0]


def test_the_date_and_time_box_is_text_showing_uk_time():
    when = timezone.make_aware(datetime.datetime(2027, 7, 31, 18, 30))  # summer time
    html = DayFirstDateTimeField().widget.render("when", DayFirstDateTimeField().prepare_value(when))
    assert 'type="text"' in html and 'value="31/07/2027 18:30"' in html


def test_call_back_later_is_typed_day_first(client, anytown, anytown_canvasser):
    from campaigns.models import CallEntry, FollowUp
    from campaigns.services import call_list_create
    from tests.campaigns.factories import campaign_with_survey
    from tests.campaigns.test_phone_bank import people_with_phones

    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    client.force_login(anytown_canvasser)
    client.post(reverse("campaigns:call_next", args=[call_list.pk]))
    entry = CallEntry.unscoped.get(status=CallEntry.Status.CLAIMED)
    url = reverse("campaigns:call", args=[entry.pk])
    response = client.post(
        url,
        {
            "client_uuid": "6f1c2b9e-0000-4000-8000-000000000001",
            "outcome": "call_back",
            "call_back_at": "01/31/2027 18:30",
        },
    )
    assert response.status_code == 200
    assert "there is no month 31 (the day comes first)" in response.text
    assert 'value="01/31/2027 18:30"' in response.text  # kept as typed
    response = client.post(
        url,
        {
            "client_uuid": "6f1c2b9e-0000-4000-8000-000000000002",
            "outcome": "call_back",
            "call_back_at": "31/01/2027 18:30",
        },
    )
    assert response.status_code == 302
    [follow_up] = FollowUp.unscoped.filter(kind="call_back")
    assert timezone.localtime(follow_up.due_at).replace(tzinfo=None) == datetime.datetime(2027, 1, 31, 18, 30)
