"""Forms every app's pages share."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone


class SearchForm(forms.Form):
    """The search box of a list page or export: `q`, trimmed, at most 100 characters. Like every
    CharField it refuses NUL bytes (which Postgres cannot hold), so bad input is a form error naming
    the field, never a database error."""

    q = forms.CharField(label="Search", required=False, max_length=100)

    @classmethod
    def of(cls, request):
        """(form, the text to search for: '' when the query is not valid)."""
        form = cls(request.GET)
        return form, form.cleaned_data["q"] if form.is_valid() else ""

    def problem(self):
        """What is wrong and where, e.g. 'Search: Null characters are not allowed.' ('' if nothing)."""
        return " ".join(
            f"{self.fields[name].label}: {message}"
            for name, errors in self.errors.items()
            for message in errors
        )


# --- Dates typed day first -------------------------------------------------------------------------
#
# Chromium draws <input type="date"> in the browser's own language, not the page's: measured with
# Debian's chromium 156, an en-GB browser shows dd/mm/yyyy and an en-US one mm/dd/yyyy on the same
# page, whatever its <html lang="en-GB">, and neither navigator.language nor Intl (Playwright's
# locale) changes it. Many phones and computers in the UK run US English, so every date on the site
# is a text box typed day first, read the same way in any browser.

DATE_HINT = "dd/mm/yyyy"
DATE_EXAMPLE = "31/01/2027"
_DAY_FIRST = re.compile(r"^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")  # links and saved filters written before


def parse_day_first(text):
    """The date in `text` typed day first (31/01/2027, 31-1-2027, 31.01.2027, 31 01 2027) or as
    2027-01-31; None when blank. Raises ValidationError saying what is wrong and how to write it."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    iso, found = _ISO.match(text), _DAY_FIRST.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif found:
        day, month, year = (int(part) for part in found.groups())
        if len(found[3]) != 4:
            raise ValidationError(
                f"Write the year in full: {text!r} could be more than one year ({DATE_HINT}, e.g. "
                f"{DATE_EXAMPLE}).",
                code="invalid",
            )
    else:
        raise ValidationError(
            f"{text!r} is not a date: type the day, month and year ({DATE_HINT}, e.g. {DATE_EXAMPLE}).",
            code="invalid",
        )
    if not 1 <= month <= 12:
        swapped = " (the day comes first)" if 1 <= day <= 12 and month <= 31 else ""
        raise ValidationError(
            f"{text!r}: there is no month {month}{swapped}. Type {DATE_HINT}, e.g. {DATE_EXAMPLE}.",
            code="invalid",
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(
            f"{text!r}: there is no day {day} in {datetime.date(2000, month, 1):%B} {year}.",
            code="invalid",
        ) from None


class DayFirstDateInput(forms.DateInput):
    """A text box showing the date as dd/mm/yyyy, with that as its placeholder."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"placeholder": DATE_HINT, "autocomplete": "off", "size": 10, **(attrs or {})},
            format="%d/%m/%Y",
        )


class DayFirstDateField(forms.DateField):
    """A date typed day first (see parse_day_first); a wrong one is an error on the field that says
    what is wrong, and the box keeps what was typed."""

    widget = DayFirstDateInput

    def __init__(self, *, help_text=f"Day first: {DATE_HINT}", **kwargs):
        super().__init__(help_text=help_text, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return parse_day_first(value)


DATETIME_HINT = "dd/mm/yyyy hh:mm"
_TIME = re.compile(r"^(?P<date>.*?)[\sT,]+(?P<h>\d{1,2})[:.](?P<m>\d{2})\s*(?P<half>[ap]\.?m\.?)?$", re.I)


def parse_day_first_datetime(text):
    """A date and time typed day first, '31/01/2027 18:30' (or 6:30pm, or 2027-01-31T18:30), in UK
    time; None when blank. Raises ValidationError saying what is wrong and how to write it."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    found = _TIME.match(text)
    if not found:
        raise ValidationError(
            f"{text!r} needs a date and a time: type {DATETIME_HINT}, e.g. {DATE_EXAMPLE} 18:30.",
            code="invalid",
        )
    day = parse_day_first(found["date"])
    if day is None:
        raise ValidationError(f"{text!r} needs a date: type {DATETIME_HINT}, e.g. {DATE_EXAMPLE} 18:30.")
    hour, minute, half = int(found["h"]), int(found["m"]), (found["half"] or "").lower()[:1]
    if half and not 1 <= hour <= 12:
        raise ValidationError(f"{text!r}: {hour} is not an hour of the {half}m (1 to 12).", code="invalid")
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise ValidationError(f"{text!r}: {found['h']}:{found['m']} is not a time of day (00:00 to 23:59).")
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class DayFirstDateTimeInput(forms.DateTimeInput):
    """A text box showing the date and time as dd/mm/yyyy hh:mm (UK time), with that as its placeholder."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"placeholder": DATETIME_HINT, "autocomplete": "off", "size": 16, **(attrs or {})},
            format="%d/%m/%Y %H:%M",
        )


class DayFirstDateTimeField(forms.DateTimeField):
    """A date and time typed day first (see parse_day_first_datetime), in UK time."""

    widget = DayFirstDateTimeInput

    def __init__(self, *, help_text=f"Day first, 24-hour clock: {DATETIME_HINT}", **kwargs):
        super().__init__(help_text=help_text, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value)
        return parse_day_first_datetime(value)


class ErasureForm(forms.Form):
    """Erase a person, or record their objection (labourhub.privacy.person_erase)."""

    ERASE, OBJECT = "erase", "object"
    what = forms.ChoiceField(
        label="What they asked for",
        choices=[
            (
                ERASE,
                "Erasure: remove what the party holds on them, keep them on the register as do not contact",
            ),
            (OBJECT, "Objection: stop all contact and campaigning, withdraw consents, keep the records"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason, for the record",
        max_length=200,
        help_text="e.g. the request's reference and date. Kept on the tombstone, not in the audit log.",
    )


class PrivacyNoticeForm(forms.Form):
    """A CLP's details as controller, for its privacy notice (labourhub.models.PrivacyNotice)."""

    controller_name = forms.CharField(label="The CLP as controller", max_length=200)
    address = forms.CharField(
        label="Postal address", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000
    )
    email = forms.EmailField(label="Email for data questions", required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    contact_role = forms.CharField(label="Who answers (a role, not a person)", max_length=100)
    ico_registration = forms.CharField(label="ICO registration number", max_length=20, required=False)
    consent_uses = forms.CharField(
        label="What you do only with consent",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="e.g. email newsletters and text messages to members who agreed to them.",
    )
