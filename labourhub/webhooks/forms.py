"""The subscription form: parse what was typed; the rules (address, allowed events) are in services."""

from django import forms

from labourhub.webhooks.models import EventType

CHOICES = [(t.value, t.label) for t in EventType if t != EventType.PING]


class SubscriptionForm(forms.Form):
    constituency = forms.ModelChoiceField(label="CLP", queryset=None, empty_label=None)
    name = forms.CharField(label="Name (what the integration is)", max_length=100)
    url = forms.URLField(
        label="Address that receives the events (https://…)", max_length=500, assume_scheme="https"
    )
    event_types = forms.MultipleChoiceField(
        label="Events", choices=CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies

    def problem(self):
        return " ".join(
            f"{self.fields[name].label if name in self.fields else ''}: {message}"
            for name, errors in self.errors.items()
            for message in errors
        )
