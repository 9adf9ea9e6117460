from django import forms

from labourhub.forms import DayFirstDateTimeField
from labourhub.status import services
from labourhub.status.models import Component, Incident, IncidentUpdate, Maintenance


class _ComponentsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Component.choices, **kwargs)


class IncidentForm(forms.ModelForm):
    components = _ComponentsField(required=False, help_text="The tools it affects.")

    class Meta:
        model = Incident
        fields = ["title", "impact", "components", "postmortem"]


class IncidentUpdateForm(forms.ModelForm):
    # One labelled box, day first (the admin's own widget splits date and time into two unlabelled boxes).
    at = DayFirstDateTimeField(label="At")

    class Meta:
        model = IncidentUpdate
        fields = ["status", "at", "body"]


class MaintenanceForm(forms.ModelForm):
    components = _ComponentsField(help_text="The tools that will be unavailable.")

    class Meta:
        model = Maintenance
        fields = ["title", "components", "starts_at", "ends_at", "description"]

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", "The end must be after the start.")
                return cleaned
            days = services.polling_days_between(start=starts, end=ends)
            if days:
                listed = ", ".join(day.strftime("%d %B %Y") for day in days)
                raise forms.ValidationError(
                    f"Maintenance cannot be scheduled around polling day ({listed}): tellers, "
                    "knockers-up and committee rooms rely on every tool then. Choose another time."
                )
        return cleaned
