"""Casework forms: what a caseworker types, checked before a service sees it."""

from django import forms
from django.contrib.auth import get_user_model

from casework.models import (
    Agency,
    Case,
    CaseLink,
    Letter,
    LetterKind,
    OfficeMembership,
    Status,
    ThirdParty,
    TimelineEntry,
    Topic,
)
from labourhub.forms import DayFirstDateField, DayFirstDateTimeField

User = get_user_model()


def _topics(office):
    return (
        Topic.objects.filter(office=office, active=True)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


class _Select(forms.Select):
    """Django's select, drawn by one template without an include per option: the office's case list
    draws ~80 options (topics, caseworkers), and two includes each were a fifth of the list's CPU
    (tests/perf/bench_casework.py). The same HTML (a Select's option has no attributes but
    `selected`)."""

    template_name = "casework/widgets/select.html"


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any open"), ("all", "Any"), *Status.choices], widget=_Select
    )
    topic = forms.ModelChoiceField(
        required=False, queryset=Topic.objects.none(), empty_label="Any topic", widget=_Select
    )
    owner = forms.ModelChoiceField(
        required=False, queryset=User.objects.none(), empty_label="Anyone", widget=_Select
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")
    q = forms.CharField(required=False, max_length=100, label="Reference, name or postcode")

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics(office)
        self.fields["owner"].queryset = User.objects.filter(
            pk__in=OfficeMembership.objects.active().filter(office=office).values("user")
        ).order_by("full_name")
        # The options as a list read once by a plain query: a ModelChoiceField draws its options
        # from queryset.iterator(), a server-side cursor on Postgres (DECLARE, FETCH, CLOSE), and
        # that was 10 ms of the list's CPU for 48 topics and 20 caseworkers (bench_casework). The
        # querysets above still validate what is sent.
        for name in ("topic", "owner"):
            field = self.fields[name]
            field.choices = [("", field.empty_label), *((row.pk, str(row)) for row in field.queryset)]

    def problem(self):
        return "; ".join(
            f"{self.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(errors)}"
            for name, errors in self.errors.items()
        )


class CaseOpenForm(forms.Form):
    elector = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        required=False,
        max_length=200,
        help_text="Leave empty when the constituent was found on the register.",
    )
    address = forms.CharField(required=False, max_length=300)
    postcode = forms.CharField(required=False, max_length=10)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)
    channel = forms.ChoiceField(choices=Case.Channel.choices)
    summary = forms.CharField(max_length=300)
    topic = forms.ModelChoiceField(required=False, queryset=Topic.objects.none())
    urgency = forms.ChoiceField(choices=Case.Urgency.choices, initial=Case.Urgency.NORMAL)
    special_category = forms.BooleanField(
        required=False, label="Holds special category data (health, immigration, ...)"
    )
    article9_condition = forms.ChoiceField(
        required=False, choices=[("", "—"), *Case.Article9.choices], label="Article 9 condition"
    )
    sensitive = forms.BooleanField(
        required=False, label="Sensitive: only assignees and the office lead see it"
    )
    agency = forms.ModelChoiceField(required=False, queryset=Agency.objects.none(), label="Referred to")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="First note")

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics(office)
        self.fields["agency"].queryset = Agency.objects.for_office(office)

    def clean(self):
        data = super().clean()
        if not data.get("elector") and not (data.get("name") or "").strip():
            self.add_error("name", "Find the constituent on the register or enter their name.")
        if data.get("special_category") and not data.get("article9_condition"):
            self.add_error("article9_condition", "Special category data needs its Article 9 condition.")
        return data


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[c for c in TimelineEntry.Kind.choices if c[0] != TimelineEntry.Kind.STATUS]
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)
    # When the letter arrived or the call was made (a letter is often logged days later).
    at = DayFirstDateTimeField(required=False, label="When")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=list(Status.choices))
    outcome = forms.ChoiceField(required=False, choices=[("", "—"), *Case.Outcome.choices])
    agency = forms.ModelChoiceField(required=False, queryset=Agency.objects.none())

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        from casework.services import ALLOWED_MOVES

        self.fields["agency"].queryset = Agency.objects.for_office(case.office_id)

        allowed = ALLOWED_MOVES[Status(case.status)]
        self.fields["status"].choices = [c for c in Status.choices if c[0] in allowed]
        self.fields["agency"].initial = case.agency_id


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=300)


class ConsentForm(forms.Form):
    WORDING = "May the Labour Party keep you updated about its campaigns in your area?"
    wording = forms.CharField(max_length=500, initial=WORDING, widget=forms.Textarea(attrs={"rows": 2}))
    # No answer is taken for a yes: "No" is the one chosen until the caseworker changes it.
    given = forms.TypedChoiceField(
        choices=[("no", "No"), ("yes", "Yes")],
        coerce=lambda v: v == "yes",
        initial="no",
        label="Their answer",
    )
    given_on = DayFirstDateField(label="Given on")


def _office_people(office):
    """Who a case in `office` may be given to: its caseworkers whose membership is in force."""
    return User.objects.filter(pk__in=OfficeMembership.objects.in_force_in(office).values("user")).order_by(
        "full_name", "email"
    )


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class _PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class AssignForm(forms.Form):
    owner = _PersonChoice(queryset=User.objects.none(), empty_label=None)
    assignees = _PeopleChoice(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Assignees"
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        people = _office_people(case.office)
        self.fields["owner"].queryset = people
        self.fields["assignees"].queryset = people
        # Shown from one read (a ModelChoiceField reads its queryset again each time it renders:
        # three times for these two); what is posted is still checked against `people`.
        choices = [(person.pk, self.fields["owner"].label_from_instance(person)) for person in people]
        self.fields["owner"].choices = choices
        self.fields["assignees"].choices = choices
        self.fields["owner"].initial = case.owner_id
        self.fields["assignees"].help_text = "The owner is always one."


class LetterForm(forms.Form):
    """A letter or email as the caseworker finishes it: pre-filled from the merged template."""

    kind = forms.ChoiceField(choices=LetterKind.choices, widget=forms.HiddenInput)
    medium = forms.ChoiceField(
        choices=Letter.Medium.choices,
        widget=forms.RadioSelect,
        label="Send it as",
        initial=Letter.Medium.LETTER,
    )
    agency = forms.ModelChoiceField(required=False, queryset=Agency.objects.none(), label="Agency")
    third_party = forms.ModelChoiceField(
        required=False,
        queryset=ThirdParty.objects.none(),
        label="To a third party acting for the constituent",
        help_text="Only while their authority is live.",
    )
    recipient_name = forms.CharField(max_length=200, label="To")
    recipient_address = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Their address (for a letter)",
    )
    to_email = forms.EmailField(required=False, label="Their email address (for an email)")
    subject = forms.CharField(max_length=300)
    body = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 14}), label="Letter")

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.for_office(case.office_id)
        # The case came through the seal: its own third parties are read through it.
        self.fields["third_party"].queryset = case.third_parties.all()


class LetterTemplateForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 16}))

    def clean(self):
        from casework import letters

        data = super().clean()
        for field in ("subject", "body"):
            if field in data:
                try:
                    letters.check(data[field])
                except letters.UnknownMergeField as error:
                    self.add_error(field, str(error))
        return data


# --- Who else is on a case, and the agency directory (issue 15 items 2 and 4) ------------------


class ConstituentForm(forms.Form):
    """A further constituent: found on the register (the hidden elector) or entered fresh."""

    elector = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        required=False, max_length=200, help_text="Leave empty when they were found on the register."
    )
    address = forms.CharField(required=False, max_length=300)
    postcode = forms.CharField(required=False, max_length=10)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)

    def clean(self):
        data = super().clean()
        if not data.get("elector") and not (data.get("name") or "").strip():
            self.add_error("name", "Find the constituent on the register or enter their name.")
        return data


class _AttachmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.filename} (added {obj.added_at:%-d %b %Y})"


def _choose_one(choices):
    """A decision the caseworker must make starts unmade: a pre-selected first option was left as it was."""
    return [("", "Choose one"), *choices]


class ThirdPartyForm(forms.Form):
    name = forms.CharField(max_length=200)
    relationship = forms.ChoiceField(choices=_choose_one(ThirdParty.Relationship.choices))
    organisation = forms.CharField(required=False, max_length=200, label="Organisation (if any)")
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)
    address = forms.CharField(required=False, max_length=300)
    authority_signed_on = DayFirstDateField(label="Authority given on")
    authority_held = forms.ChoiceField(
        choices=ThirdParty.Held.choices, widget=forms.RadioSelect, label="How the authority is held"
    )
    authority_form = _AttachmentChoice(
        required=False,
        queryset=ThirdParty.objects.none(),
        label="The signed form, from the case's attachments",
        empty_label="— (upload it below)",
    )
    form_upload = forms.FileField(required=False, label="Or upload the signed form")
    authority_expires_on = DayFirstDateField(required=False, label="Authority expires on (if it does)")

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority_form"].queryset = case.attachments.all()
        if not case.office.allow_verbal_authority:
            self.fields["authority_held"].choices = [ThirdParty.Held.choices[0]]
            self.fields["authority_held"].initial = ThirdParty.Held.SIGNED_FORM
            self.fields["authority_held"].help_text = "This office takes authority only as a signed form."


class CaseLinkForm(forms.Form):
    reference = forms.CharField(
        max_length=30, label="The other case's reference", help_text="e.g. ANY/12/2026"
    )
    kind = forms.ChoiceField(choices=_choose_one(CaseLink.Kind.choices), label="How they are linked")
    reason = forms.CharField(max_length=300, label="Why")


class AgencyForm(forms.Form):
    name = forms.CharField(max_length=150)
    kind = forms.ChoiceField(choices=_choose_one(Agency.Kind.choices))
    response_working_days = forms.IntegerField(
        min_value=1, max_value=250, label="Response target (working days)", initial=20
    )
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)
    portal_url = forms.URLField(
        required=False, assume_scheme="https", label="MPs' hotline or portal address (URL)"
    )
    postal_address = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Postal address"
    )
    contact_route = forms.CharField(required=False, max_length=300, label="Notes on how to reach them")
