from typing import NamedTuple

from django import forms
from django.utils import timezone

from campaigns.models import IntentionCode, Question, Relation
from labourhub.forms import DayFirstDateField, SearchForm
from labourhub.models import PollingDistrict


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
