"""Forms for setting up polling day from the office pages: the election and its committee rooms.
Every choice offered is already scoped to the constituencies where the user may ORGANISE (the
election form) or to the election's own boxes, districts and people (the committee room form)."""

from django import forms
from django.contrib.auth import get_user_model

from gotv.models import CommitteeRoomBox, Election
from labourhub.forms import DayFirstDateField
from labourhub.models import Grant, PollingDistrict, Ward
from labourhub.scoping import ROLES_FOR, Action, constituencies_for
from voters.models import RegisterPublication

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ElectionForm(forms.Form):
    constituency = forms.ModelChoiceField(queryset=None, label="CLP", empty_label="Choose…")
    kind = forms.ChoiceField(choices=[("", "Choose…"), *Election.Kind.choices], label="Kind of election")
    name = forms.CharField(max_length=150, help_text="e.g. 'General election 2029'.")
    poll_date = DayFirstDateField(label="Polling day")
    polls_open = forms.TimeField(widget=TIME, initial="07:00", label="Polls open")
    polls_close = forms.TimeField(widget=TIME, initial="22:00", label="Polls close")
    late_grace_minutes = forms.IntegerField(
        min_value=0, max_value=240, initial=30, label="Late tellings accepted for (minutes after the close)"
    )
    publication = forms.ModelChoiceField(
        queryset=None,
        label="Register it uses",
        empty_label="Choose…",
        help_text="Tellers' numbers resolve against this register's numbering (the poll cards').",
    )
    democracy_club_id = forms.CharField(
        max_length=100,
        required=False,
        label="Democracy Club id (optional)",
        help_text="e.g. parl.2029-05-03: how the postal list and marked register imports name it.",
    )
    postal_chase_from = DayFirstDateField(
        required=False,
        label="Postal ballots go out (optional)",
        help_text="Blank: 14 days before.",
    )
    wards = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Wards contested (local elections)",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clps = constituencies_for(user, Action.ORGANISE).order_by("name")
        self.fields["constituency"].queryset = clps
        self.fields["publication"].queryset = RegisterPublication.objects.filter(
            constituency__in=clps
        ).select_related("constituency")
        self.fields["wards"].queryset = Ward.objects.filter(constituency__in=clps).select_related(
            "constituency"
        )

    def clean(self):
        data = super().clean()
        constituency, publication = data.get("constituency"), data.get("publication")
        if constituency and publication and publication.constituency_id != constituency.pk:
            self.add_error("publication", f"Choose a register of {constituency}.")
        if constituency:
            outside = [str(w) for w in data.get("wards") or [] if w.constituency_id != constituency.pk]
            if outside:
                self.add_error("wards", f"Not in {constituency}: {', '.join(outside)}.")
        start, end = data.get("polls_open"), data.get("polls_close")
        if start and end and end <= start:
            self.add_error("polls_close", f"{end:%H:%M} is not after the polls open ({start:%H:%M}).")
        chase, day = data.get("postal_chase_from"), data.get("poll_date")
        if chase and day and chase > day:
            self.add_error("postal_chase_from", f"{chase:%-d %B %Y} is after polling day.")
        return data


class CommitteeRoomForm(forms.Form):
    name = forms.CharField(max_length=120)
    address = forms.CharField(max_length=400, required=False)
    postcode = forms.CharField(max_length=8, required=False)
    contact_number = forms.CharField(max_length=20, required=False, label="Contact number")
    organiser = forms.ModelChoiceField(queryset=None, required=False, empty_label="Nobody yet")
    is_main = forms.BooleanField(required=False, label="The main committee room")
    boxes = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Boxes it runs"
    )
    districts = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Or whole polling districts",
        help_text="Every box serving a district ticked here is run from this room.",
    )

    def __init__(self, *args, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election
        # The election was looked up within the user's areas; its boxes are reached through it.
        free = election.boxes.exclude(
            pk__in=CommitteeRoomBox.objects.filter(box__election=election).values("box")
        )
        self.fields["boxes"].queryset = free.select_related("station").order_by("station__name", "label")
        self.fields["districts"].queryset = PollingDistrict.objects.filter(
            pk__in=free.values("districts__polling_district")
        ).order_by("code")
        self.fields["organiser"].queryset = (
            get_user_model()
            .objects.filter(
                pk__in=Grant.objects.active()
                .covering(election.constituency)
                .filter(role__in=ROLES_FOR[Action.ORGANISE])
                .values("user")
            )
            .order_by("full_name")
        )

    def clean(self):
        data = super().clean()
        districts = data.pop("districts", None) or []  # the room runs their boxes; the service takes boxes
        boxes = set(data.get("boxes") or [])
        boxes |= set(self.fields["boxes"].queryset.filter(districts__polling_district__in=districts))
        data["boxes"] = sorted(boxes, key=lambda box: box.pk)
        return data
