"""Forms of the data protection pages: parse and check what was typed; the rules are in services."""

from django import forms
from django.utils import timezone

from labourhub.dataprotection.models import (
    Breach,
    BreachDecision,
    BreachRisk,
    RequestKind,
    RequestStatus,
)
from labourhub.forms import DayFirstDateField, DayFirstDateTimeField
from labourhub.models import Grant, User
from labourhub.scoping import ROLES_FOR, Action

STATUS_FILTERS = [
    ("", "Open"),
    ("overdue", "Overdue"),
    ("all", "All"),
    *RequestStatus.choices,
]


class RequestFilterForm(forms.Form):
    q = forms.CharField(label="Search (name, contact or reference)", required=False, max_length=100)
    status = forms.ChoiceField(label="Status", choices=STATUS_FILTERS, required=False)

    def problem(self):
        return " ".join(
            f"{self.fields[name].label}: {message}"
            for name, errors in self.errors.items()
            for message in errors
        )


def handlers_for(constituencies):
    """People who may handle a request in these CLPs: holders of PROTECT_DATA there now."""
    grants = Grant.objects.filter(role__in=ROLES_FOR[Action.PROTECT_DATA], constituency__in=constituencies)
    return User.objects.filter(is_active=True, pk__in=grants.values("user")).order_by("full_name", "email")


class SubjectRequestForm(forms.Form):
    constituency = forms.ModelChoiceField(label="CLP", queryset=None, empty_label=None)
    kind = forms.ChoiceField(label="Type of request", choices=RequestKind.choices)
    received_on = DayFirstDateField(label="Received on")
    requester_name = forms.CharField(label="Requester's name", max_length=200)
    requester_contact = forms.CharField(
        label="How to reach them (email, address or phone)", max_length=300, required=False
    )
    subject_label = forms.CharField(
        label="The person on the register or members' list (if found), e.g. their elector number",
        max_length=200,
        required=False,
    )
    identity_verified_on = DayFirstDateField(label="Identity verified on", required=False)
    identity_verified_how = forms.CharField(label="How identity was verified", max_length=200, required=False)
    handler = forms.ModelChoiceField(label="Handler", queryset=None, required=False)
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies
        self.fields["handler"].queryset = handlers_for(constituencies)
        if len(constituencies) == 1:
            self.fields["constituency"].widget = forms.HiddenInput()
            self.fields["constituency"].initial = constituencies[0].pk

    def clean(self):
        data = super().clean()
        handler, constituency = data.get("handler"), data.get("constituency")
        if handler and constituency and not handlers_for([constituency]).filter(pk=handler.pk).exists():
            self.add_error("handler", f"{handler} cannot handle data requests in {constituency}.")
        if data.get("identity_verified_on") and not data.get("identity_verified_how"):
            self.add_error("identity_verified_how", "Say how identity was verified.")
        received = data.get("received_on")
        if received and received > timezone.localdate():
            self.add_error("received_on", "This date is in the future.")
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    on = DayFirstDateField(label="On", required=False)
    reason = forms.CharField(
        label="Reason (needed to refuse or withdraw)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    what_was_sent = forms.CharField(
        label="What was sent (needed to answer)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(v, label) for v, label in RequestStatus.choices if v != current]


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label="Why two more months are needed (the requester must be told)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DetailsForm(forms.Form):
    handler = forms.ModelChoiceField(label="Handler", queryset=None, required=False)
    requester_contact = forms.CharField(label="How to reach them", max_length=300, required=False)
    subject_label = forms.CharField(
        label="The person on the register or members' list", max_length=200, required=False
    )
    identity_verified_on = DayFirstDateField(label="Identity verified on", required=False)
    identity_verified_how = forms.CharField(label="How identity was verified", max_length=200, required=False)
    what_was_sent = forms.CharField(
        label="What was sent", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, subject_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers_for([subject_request.constituency])

    def clean(self):
        data = super().clean()
        if data.get("identity_verified_on") and not data.get("identity_verified_how"):
            self.add_error("identity_verified_how", "Say how identity was verified.")
        return data


class BreachForm(forms.ModelForm):
    constituency = forms.ModelChoiceField(label="CLP", queryset=None, empty_label=None)
    happened_at = DayFirstDateTimeField(label="When it happened (if known)", required=False)
    found_at = DayFirstDateTimeField(label="When it was found")
    reported_at = DayFirstDateTimeField(label="When it was reported to the ICO", required=False)
    risk = forms.ChoiceField(label="Risk to people", choices=BreachRisk.choices)
    decision = forms.ChoiceField(label="Decision", choices=BreachDecision.choices)

    class Meta:
        model = Breach
        fields = [
            "constituency",
            "what_happened",
            "happened_at",
            "found_at",
            "found_by",
            "records_affected",
            "people_affected",
            "kinds_of_data",
            "risk",
            "contained",
            "decision",
            "decision_reason",
            "reported_at",
            "ico_reference",
            "actions_taken",
            "people_told",
        ]
        labels = {
            "what_happened": "What happened",
            "found_by": "Who found it",
            "records_affected": "Records affected (number)",
            "people_affected": "People affected (number)",
            "kinds_of_data": "Kinds of data (e.g. names, addresses, voting intentions)",
            "contained": "Contained",
            "decision_reason": "Reason for the decision",
            "ico_reference": "ICO reference",
            "actions_taken": "Actions taken",
            "people_told": "People told (who, how, when)",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("what_happened", "decision_reason", "actions_taken", "people_told")
        }

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies
        if self.instance.pk:
            del self.fields["constituency"]
        elif len(constituencies) == 1:
            self.fields["constituency"].widget = forms.HiddenInput()
            self.fields["constituency"].initial = constituencies[0].pk

    def _post_clean(self):
        pass  # the model is written by the services, which check the rules; the form only parses
