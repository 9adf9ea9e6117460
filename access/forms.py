from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from access import lookups
from access.deciders import decidable_constituencies
from access.models import Status, Tool
from access.services import QUESTION_NEEDS_NOTE, REFUSAL_NEEDS_REASON
from access.standing import member_constituencies
from labourhub.forms import DayFirstDateField
from labourhub.models import Constituency, Ward
from labourhub.scoping import Action, can, constituencies_for


class RequestForm(forms.Form):
    tool = forms.ModelChoiceField(
        Tool.objects.offered(), label="What do you need?", empty_label="Choose a tool"
    )
    constituency = forms.ModelChoiceField(Constituency.objects.none(), label="Through which CLP?")
    ward = forms.ModelChoiceField(
        Ward.objects.none(), required=False, label="Ward", help_text="Only for tools given for one ward."
    )
    for_email = forms.EmailField(
        required=False,
        label="For someone else (officers only)",
        help_text="Their LabourHub email address. Leave blank to ask for yourself.",
    )
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Why do you need it?"
    )
    needed_by = DayFirstDateField(label="Needed by")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        allowed = Constituency.objects.filter(
            Q(pk__in=member_constituencies(user).values("pk"))
            | Q(pk__in=decidable_constituencies(user, Action.ENDORSE_ACCESS).values("pk"))
        )
        self.fields["constituency"].queryset = allowed
        self.fields["ward"].queryset = Ward.objects.filter(constituency__in=allowed).select_related(
            "constituency"
        )
        self.fields["needed_by"].initial = timezone.localdate() + timezone.timedelta(days=7)

    def clean_for_email(self):
        return self.cleaned_data["for_email"].strip().lower() or None

    def clean(self):
        """The role first, then the person, and one answer for an address with no account and one
        whose account has nothing to do with the CLP: the form tells nobody who has an account."""
        data = super().clean()
        email, constituency = data.get("for_email"), data.get("constituency")
        if not email or constituency is None:
            return data
        if not can(self.user, Action.ENDORSE_ACCESS, constituency):
            self.add_error(
                "for_email", f"Only {constituency}'s secretary or officers may ask on someone else's behalf."
            )
            return data
        data["for_email"] = person_of(constituency, email)
        if data["for_email"] is None:
            self.add_error("for_email", nobody_message(email, constituency))
        return data


class DecisionForm(forms.Form):
    """A decision on a request. Nothing is chosen for the decider (a refusal sent back for its
    reason must never come back as an approval), and the reason is checked here, next to its field."""

    decision = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Your decision",
        error_messages={
            "required": "Choose a decision: endorse or approve, refuse, or ask for more information."
        },
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason or question",
        help_text="Required to refuse (the requester sees it) or to ask for more information.",
    )
    duration_days = forms.IntegerField(required=False, min_value=1, label="Duration (days)")
    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    def __init__(self, *args, choices, tool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = choices
        self.fields["duration_days"].widget.attrs["max"] = tool.max_days  # the service enforces it
        self.fields["duration_days"].initial = tool.default_days
        self.fields["duration_days"].help_text = f"Up to {tool.max_days} days; usually {tool.default_days}."

    def clean(self):
        data = super().clean()
        if not (data.get("note") or "").strip():
            if data.get("decision") == "refuse":
                self.add_error("note", REFUSAL_NEEDS_REASON)
            elif data.get("decision") == "info":
                self.add_error("note", QUESTION_NEEDS_NOTE)
        return data


class AnswerForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Your answer")


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for revoking")


class DelegationForm(forms.Form):
    delegate_email = forms.EmailField(label="Who decides while you are away (their email)")
    starts_on = DayFirstDateField(label="First day away")
    ends_on = DayFirstDateField(label="Last day away")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_delegate_email(self):
        """The role first; then only people of the delegator's own CLPs or region are found, with
        one answer for an unknown address and for someone from elsewhere."""
        email = self.cleaned_data["delegate_email"].strip().lower()
        areas = Constituency.objects.filter(
            Q(pk__in=constituencies_for(self.user, Action.ENDORSE_ACCESS).values("pk"))
            | Q(pk__in=constituencies_for(self.user, Action.REVIEW_ACCESS).values("pk"))
        )
        if not areas.exists():
            raise forms.ValidationError("Only endorsers and reviewers have decisions to delegate.")
        person = (
            get_user_model()
            .objects.filter(email=email, is_active=True)
            .filter(pk__in=lookups.people_of(areas))
            .first()
        )
        if person is None:
            raise forms.ValidationError(
                f"Nobody in your CLPs or region uses {email}: they need a LabourHub account and a "
                "membership or role there."
            )
        return person


def person_of(constituency, email):
    """The active user with `email` who belongs to `constituency`, or None (whether or not the
    address has an account elsewhere)."""
    person = get_user_model().objects.filter(email=email, is_active=True).first()
    if person is None or not member_constituencies(person).filter(pk=constituency.pk).exists():
        return None
    return person


def nobody_message(email, constituency):
    return (
        f"Nobody of {constituency} uses {email}: they need a LabourHub account and a membership or "
        f"role in {constituency}."
    )


class AuditSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Action, person's email or object id")
    constituency = forms.ModelChoiceField(Constituency.objects.none(), required=False, label="CLP")
    since = DayFirstDateField(required=False, label="From")
    until = DayFirstDateField(required=False, label="To")

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies
