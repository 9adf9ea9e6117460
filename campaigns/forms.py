from typing import NamedTuple

from django import forms
from django.utils import timezone

from campaigns.models import Event, IntentionCode, Question, Relation
from labourhub.forms import DayFirstDateField, DayFirstDateTimeField, SearchForm
from labourhub.models import PollingDistrict
from members.forms import email_body_help


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120)
    constituency = forms.ModelChoiceField(queryset=None, label="CLP")
    starts_on = DayFirstDateField(initial=timezone.localdate)
    ends_on = DayFirstDateField(required=False)

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies


class QuestionForm(forms.Form):
    key = forms.SlugField(max_length=40, help_text="Short name, e.g. school-run.")
    kind = forms.ChoiceField(choices=Question.Kind.choices)
    text = forms.CharField(max_length=300)
    party = forms.ModelChoiceField(
        queryset=IntentionCode.objects.active().filter(is_party=True),
        to_field_name="code",
        required=False,
        help_text="For a likelihood question.",
    )
    follow_up = forms.ChoiceField(choices=Question.FollowUp.choices, required=False)


class PaperRow(NamedTuple):
    """One elector's line of a paper sheet as keyed in (codes are checked by the canvass service)."""

    elector: object
    outcome: str
    intention: str
    strength: str
    client_uuid: str


class PaperSheetForm(forms.Form):
    """A returned paper sheet: who canvassed it, on what day, and for each elector on it the outcome,
    intention and hard/soft (fields `out-<pk>`, `vi-<pk>`, `st-<pk>`) with the row's `uuid-<pk>`, made
    when the form was shown so that keying the sheet in twice records it once."""

    canvasser = forms.ModelChoiceField(queryset=None)
    knocked_on = DayFirstDateField()

    def __init__(self, data=None, *, canvassers, electors):
        super().__init__(data)
        self.fields["canvasser"].queryset = canvassers
        self.electors = list(electors)
        for elector in self.electors:
            for prefix in ("out", "vi", "st", "uuid"):
                self.fields[f"{prefix}-{elector.pk}"] = forms.CharField(required=False, max_length=64)

    def clean(self):
        data = super().clean()
        problems = ["Say who canvassed this sheet."] if "canvasser" in self.errors else []
        problems += [f"On: {message}" for message in self.errors.get("knocked_on", [])]
        if problems:
            raise forms.ValidationError(" ".join(problems))
        return data

    def rows(self):
        """The lines with an outcome marked; blank lines were not knocked."""
        data = self.cleaned_data
        return [
            PaperRow(
                elector=elector,
                outcome=data[f"out-{elector.pk}"],
                intention=data[f"vi-{elector.pk}"],
                strength=data[f"st-{elector.pk}"],
                client_uuid=data[f"uuid-{elector.pk}"],
            )
            for elector in self.electors
            if data[f"out-{elector.pk}"]
        ]


class CriteriaForm(forms.Form):
    """What walk lists and call lists are built from (see campaigns.walklists)."""

    name = forms.CharField(max_length=120)
    polling_districts = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: all."
    )
    streets = forms.CharField(required=False, help_text="Comma-separated street names.")
    model_version = forms.ModelChoiceField(queryset=None, required=False, label="Score model")
    score_name = forms.CharField(required=False, max_length=40, help_text="e.g. support")
    score_min = forms.FloatField(required=False)
    score_max = forms.FloatField(required=False)
    intentions = forms.CharField(
        required=False,
        help_text="Latest intentions, comma-separated, e.g. L soft, D",
        label="Previous answers",
    )
    not_contacted_days = forms.IntegerField(required=False, min_value=0, label="Not contacted in (days)")

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["polling_districts"].queryset = PollingDistrict.objects.filter(
            constituency=campaign.constituency
        )
        # `campaign` comes from an access-checked lookup: its constituency's rows are in scope.
        self.fields["model_version"].queryset = campaign.constituency.model_versions.all()

    def criteria(self):
        data = self.cleaned_data
        criteria = {
            "polling_districts": [pd.pk for pd in data["polling_districts"]],
            "streets": [s for s in data["streets"].split(",") if s.strip()],
            "intentions": [i for i in data["intentions"].split(",") if i.strip()],
            "not_contacted_days": data["not_contacted_days"],
        }
        if data["model_version"]:
            criteria["score"] = {
                "model_version": data["model_version"].pk,
                "name": data["score_name"],
                "min": data["score_min"],
                "max": data["score_max"],
            }
        return criteria


class WalkListForm(CriteriaForm):
    pack_size = forms.IntegerField(min_value=5, max_value=500, initial=40, help_text="Doors per pack.")


class CallListForm(CriteriaForm):
    script = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


class RelationForm(forms.Form):
    elector = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=Relation.Kind.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class KnownPersonForm(forms.Form):
    """A canvasser finds someone they know by surname and full postcode (never by browsing)."""

    surname = forms.CharField(label="Surname", required=False, max_length=100)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)

    problem = SearchForm.problem

    def clean_postcode(self):
        return self.cleaned_data["postcode"].replace(" ", "").upper()


# --- Events (issue 17) -----------------------------------------------------------------------


class ShiftForm(forms.Form):
    starts_at = DayFirstDateTimeField(label="Starts")
    ends_at = DayFirstDateTimeField(label="Ends")
    role = forms.CharField(max_length=80, required=False, help_text="e.g. canvasser, driver, caller")
    minimum = forms.IntegerField(min_value=0, max_value=10000, initial=1, label="Minimum needed")
    maximum = forms.IntegerField(
        min_value=1, max_value=10000, required=False, help_text="Blank for no limit."
    )

    def clean(self):
        return _check_shift(self, super().clean())


def _check_shift(form, data):
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts and ends and ends <= starts:
        form.add_error("ends_at", "The shift must end after it starts.")
    if (
        data.get("maximum") is not None
        and data.get("minimum") is not None
        and data["maximum"] < data["minimum"]
    ):
        form.add_error("maximum", "The maximum cannot be under the minimum.")
    return data


class EventForm(forms.Form):
    """An event's details; on creation (`with_shift`) its CLP and first shift too."""

    constituency = forms.ModelChoiceField(queryset=None, label="CLP")
    kind = forms.ChoiceField(choices=Event.Kind.choices, label="Type")
    title = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    meeting_area = forms.CharField(
        max_length=200,
        required=False,
        label="Meeting area",
        help_text="Shown to everyone, e.g. near the station.",
    )
    meeting_point = forms.CharField(
        max_length=300, required=False, label="Exact meeting point", help_text="Shown only to people booked."
    )
    accessibility = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Accessibility notes"
    )
    contact = forms.ModelChoiceField(queryset=None, required=False, label="Contact person")
    visibility = forms.ChoiceField(choices=Event.Visibility.choices)
    capacity = forms.IntegerField(
        min_value=1, max_value=100000, required=False, help_text="Blank for no limit."
    )
    needs_approval = forms.BooleanField(required=False, label="I book each sign-up myself")
    walk_list = forms.ModelChoiceField(queryset=None, required=False, help_text="For a canvass session.")
    call_list = forms.ModelChoiceField(queryset=None, required=False, help_text="For a phone bank.")
    visiting_regions = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Open to visitors from these regions",
        help_text="Members of other CLPs there may sign up; checked in, they canvass the pack you hand "
        "them until the end of the day (no access request).",
    )
    # Codes, not a list of every CLP by name: a form of one CLP names no other (the scoping walker).
    visiting_constituencies = forms.CharField(
        required=False,
        max_length=2000,
        label="Open to visitors from these CLPs",
        help_text="Their GSS codes, separated by commas or spaces (e.g. E14000902).",
    )

    def __init__(self, *args, constituencies, organisers, walk_lists, call_lists, with_shift=True, **kwargs):
        from labourhub.models import Region

        super().__init__(*args, **kwargs)
        self.fields["visiting_regions"].queryset = Region.objects.order_by("name")
        self.fields["constituency"].queryset = constituencies
        self.fields["contact"].queryset = organisers
        self.fields["walk_list"].queryset = walk_lists
        self.fields["call_list"].queryset = call_lists
        if not with_shift:
            del self.fields["constituency"]
        else:
            shift = ShiftForm()
            for name, field in shift.fields.items():
                self.fields[name] = field

    def clean_visiting_constituencies(self):
        from labourhub.models import Constituency

        codes = [
            code.upper() for code in self.cleaned_data["visiting_constituencies"].replace(",", " ").split()
        ]
        found = list(Constituency.objects.filter(gss_code__in=codes))
        unknown = sorted(set(codes) - {c.gss_code for c in found})
        if unknown:
            raise forms.ValidationError(f"No CLP has the code {', '.join(unknown)}.")
        return found

    def clean(self):
        data = super().clean()
        return _check_shift(self, data) if "starts_at" in self.fields else data


class RepeatForm(forms.Form):
    every_days = forms.IntegerField(min_value=1, max_value=31, initial=7, label="Every (days)")
    count = forms.IntegerField(min_value=1, max_value=52, initial=4, label="Occurrences")


class EventSignupForm(forms.Form):
    """The public sign-up form. `website` is a trap: people never see it, bots fill it in."""

    shift = forms.TypedChoiceField(coerce=int, choices=(), label="When")
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=254, label="Email")
    phone = forms.CharField(max_length=30, required=False, label="Phone (optional)")
    consent_email = forms.BooleanField(
        required=True,
        label="Email me about this event: my booking, reminders and any change",
        error_messages={"required": "Tick the email box: we need it to send your booking and reminders."},
    )
    consent_sms = forms.BooleanField(required=False, label="Text me reminders about this event")
    website = forms.CharField(required=False, label="Leave this empty")

    def __init__(self, *args, shifts, sms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = [(shift.pk, label) for shift, label in shifts]
        if not sms:
            del self.fields["consent_sms"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Type your name.")
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not all(ch.isdigit() or ch in " +()-" for ch in phone):
            raise forms.ValidationError("A phone number has digits, spaces and + ( ) - only.")
        return phone

    def clean(self):
        """Texts need a UK mobile number to go to (labourhub/sms.py says what is wrong with one)."""
        from labourhub.sms import SmsNumberError, normalise_uk

        data = super().clean()
        if data.get("consent_sms") and "phone" in data:
            try:
                normalise_uk(data["phone"])
            except SmsNumberError as problem:
                self.add_error("phone", f"To get texts, give a UK mobile number: {problem}")
        return data


class WalkInForm(forms.Form):
    name = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    phone = forms.CharField(max_length=30, required=False)


class InviteForm(forms.Form):
    """An invitation to an event, sent as a member email (the audience is a MemberFilterForm)."""

    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=email_body_help("first_name", "last_name", "full_name", "ward"),
    )
    frequency_cap = forms.IntegerField(
        min_value=1, max_value=20, initial=3, label="Skip members who had this many CLP emails in 7 days"
    )


class AskOtherClpsForm(forms.Form):
    """A request to the CLPs an event is open to: their secretaries send it to their own volunteers
    willing to help other CLPs, if they agree."""

    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=email_body_help("first_name", "last_name", "full_name"),
    )
