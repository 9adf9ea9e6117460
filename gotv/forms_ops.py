"""Forms for the polling-day office jobs: lifts and the postal chase."""

from django import forms
from django.contrib.auth import get_user_model

from gotv.models import CommitteeRoom, Driver, PostalChaseContact
from labourhub.models import Grant

TIME = forms.TimeInput(attrs={"type": "time"})


class LiftRequestForm(forms.Form):
    name = forms.CharField(max_length=150, label="Who needs the lift")
    address = forms.CharField(max_length=400, label="Pick-up address")
    postcode = forms.CharField(max_length=8, required=False)
    phone = forms.CharField(max_length=20, required=False, label="Their phone number")
    window_from = forms.TimeField(required=False, widget=TIME, label="Ready from")
    window_until = forms.TimeField(required=False, widget=TIME, label="Until")
    passengers = forms.IntegerField(min_value=1, max_value=8, initial=1)
    accessibility_needs = forms.CharField(max_length=300, required=False, label="Access needs")
    wheelchair = forms.BooleanField(required=False, label="Travels in a wheelchair")
    committee_room = forms.ModelChoiceField(queryset=CommitteeRoom.objects.none(), required=False)
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, election, **kwargs):
        kwargs.setdefault("auto_id", "lift_%s")  # the driver form shares the page: ids of its own
        super().__init__(*args, **kwargs)
        # `election` comes from an access-checked lookup: its related rows are in scope.
        self.fields["committee_room"].queryset = election.committee_rooms.all()

    def clean(self):
        data = super().clean()
        start, end = data.get("window_from"), data.get("window_until")
        if start and end and end < start:
            self.add_error("window_until", f"{end:%H:%M} is before the start of the window ({start:%H:%M}).")
        return data


class DriverForm(forms.Form):
    name = forms.CharField(max_length=120)
    phone = forms.CharField(max_length=20, required=False)
    account = forms.EmailField(
        required=False,
        label="Their LabourHub email",
        help_text="So their phone shows the lifts given to them. They need a role in this CLP.",
    )
    seats = forms.IntegerField(min_value=1, max_value=8, initial=3, label="Passenger seats")
    wheelchair_accessible = forms.BooleanField(required=False, label="Takes a wheelchair")
    available_from = forms.TimeField(required=False, widget=TIME)
    available_until = forms.TimeField(required=False, widget=TIME)

    def __init__(self, *args, election, **kwargs):
        kwargs.setdefault("auto_id", "driver_%s")
        super().__init__(*args, **kwargs)
        self.election = election

    def clean_account(self):
        email = self.cleaned_data.get("account")
        if not email:
            return None
        user = (
            get_user_model()
            .objects.filter(
                email__iexact=email,
                pk__in=Grant.objects.active().covering(self.election.constituency).values("user"),
            )
            .first()
        )
        if user is None:
            raise forms.ValidationError(
                f"No one with a role in {self.election.constituency} has the email {email}."
            )
        return user


class AssignForm(forms.Form):
    driver = forms.ModelChoiceField(queryset=Driver.objects.none())

    def __init__(self, *args, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["driver"].queryset = election.drivers.filter(active=True)


class PostalContactForm(forms.Form):
    channel = forms.ChoiceField(choices=PostalChaseContact.CHANNEL_CHOICES, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(choices=PostalChaseContact.Outcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(max_length=300, required=False)
