"""Forms of the office's reports, its settings, and the lead's bulk handover (issue 15, items 5, 7)."""

import re

from django import forms
from django.contrib.auth import get_user_model

from casework.models import Case, OfficeMembership, Topic
from casework.reports import Quarter
from labourhub.forms import DayFirstDateField

User = get_user_model()
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def _problem(form):
    return "; ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize() if name in form.fields else 'Form'}: "
        f"{' '.join(errors)}"
        for name, errors in form.errors.items()
    )


class ReportPeriodForm(forms.Form):
    start = DayFirstDateField(required=False, label="From")
    end = DayFirstDateField(required=False, label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end comes before the start.")
        if start and end and (end - start).days > 3700:
            self.add_error("start", "Report on ten years at most.")
        return data

    problem = _problem


class ClpCountsForm(forms.Form):
    quarter = forms.CharField(required=False, max_length=7, help_text="e.g. 2026-Q3")
    topic = forms.CharField(required=False, max_length=100)

    def clean_quarter(self):
        text = (self.cleaned_data.get("quarter") or "").strip().upper()
        if not text:
            return None
        match = QUARTER.match(text)
        if not match or not 2000 <= int(match[1]) <= 2100:
            raise forms.ValidationError("Give a quarter as year-Qn, e.g. 2026-Q3.")
        return Quarter(int(match[1]), int(match[2]))

    problem = _problem


class OfficeSettingsForm(forms.Form):
    share_counts_with_clp = forms.BooleanField(
        required=False,
        label="Share anonymised counts with the CLP",
        help_text="The CLP's secretary and officers see cases by topic and ward per quarter, with counts under 5 "
        "shown as “<5”. Never a name, reference or case.",
    )
    retention_days = forms.IntegerField(
        min_value=30,
        max_value=36500,
        label="Keep closed cases for (days)",
        help_text="Then the nightly run anonymises them. 730 days is two years.",
    )
    allow_verbal_authority = forms.BooleanField(
        required=False,
        label="Accept a third party's authority given verbally",
        help_text="Recorded by the caseworker who heard it, with the date. Off: a signed form is needed.",
    )

    problem = _problem


def _workers(office):
    return User.objects.filter(
        pk__in=OfficeMembership.objects.active().filter(office=office).values("user")
    ).order_by("full_name", "email")


class HandoverForm(forms.Form):
    ACTIONS = [("hand_over", "Hand them over to another caseworker"), ("close", "Close them with an outcome")]

    from_user = forms.ModelChoiceField(queryset=User.objects.none(), label="Cases worked by")
    topic = forms.ModelChoiceField(
        required=False, queryset=Topic.objects.none(), empty_label="Any topic", label="Only this topic"
    )
    include_closed = forms.BooleanField(required=False, label="Include closed cases (hand over only)")
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="hand_over")
    to_user = forms.ModelChoiceField(
        required=False, queryset=User.objects.none(), label="Hand over to", empty_label="—"
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "—"), *Case.Outcome.choices], label="Outcome")

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        # The leaving caseworker may already have left (their membership ended): any who ever worked here.
        self.fields["from_user"].queryset = User.objects.filter(
            pk__in=OfficeMembership.objects.filter(office=office).values("user")
        ).order_by("full_name", "email")
        self.fields["to_user"].queryset = _workers(office)
        self.fields["topic"].queryset = Topic.objects.filter(office=office, parent__isnull=True).order_by(
            "name"
        )

    problem = _problem
