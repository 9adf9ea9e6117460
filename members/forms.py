from django import forms

from labourhub.forms import DayFirstDateField, DayFirstDateTimeField
from labourhub.models import Branch, Ward
from members.models import AVAILABILITY, SKILLS, Channel, Status


class MemberFilterForm(forms.Form):
    """The secretary's member filters; also what an email's audience is saved as."""

    q = forms.CharField(
        label="Search", required=False, help_text="Name, membership number, postcode or email"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), required=False, empty_label="Any branch")
    ward = forms.ModelChoiceField(queryset=Ward.objects.none(), required=False, empty_label="Any ward")
    joined_since = DayFirstDateField(required=False)
    lapsed_since = DayFirstDateField(required=False)
    has_email = forms.ChoiceField(
        label="Email address",
        choices=[("", "Either"), ("yes", "Has email"), ("no", "No email")],
        required=False,
    )
    union = forms.CharField(label="Trade union", required=False)
    consent = forms.ChoiceField(label="Consented to", choices=[("", "Any"), *Channel.choices], required=False)
    # Volunteers (issue 17: inviting the pool to an event): any of the skills, any of the times.
    skills = forms.MultipleChoiceField(
        choices=SKILLS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Volunteers with any of these skills",
    )
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Volunteers free at any of these times",
    )
    help_other_clps = forms.BooleanField(required=False, label="Volunteers willing to help other CLPs")

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.filter(constituency__in=constituencies)
        self.fields["ward"].queryset = Ward.objects.filter(constituency__in=constituencies)

    def filters(self):
        """Cleaned values as the queryset's `matching` takes them (ids for branch and ward)."""
        data = dict(self.cleaned_data)
        data["branch"] = data["branch"].pk if data.get("branch") else None
        data["ward"] = data["ward"].pk if data.get("ward") else None
        return data

    def as_audience(self):
        """JSON-safe raw values, to save on an email and re-apply when it is planned."""
        getlist = getattr(self.data, "getlist", None)
        values = {
            name: getlist(name)
            if getlist and isinstance(self.fields[name], forms.MultipleChoiceField)
            else self.data.get(name)
            for name in self.fields
        }
        return {name: value for name, value in values.items() if value}


def audience_filters(send):
    form = MemberFilterForm(data=send.audience, constituencies=[send.constituency])
    if not form.is_valid():
        raise ValueError(f"The saved audience of email {send.pk} is no longer valid: {form.errors.as_text()}")
    return form.filters()


def audience_in_words(send, count):
    """ "124 lapsed members in Anytown", with any other filter after it: what the Send button is about
    to do, in the words the secretary would use."""
    form = MemberFilterForm(data=send.audience, constituencies=[send.constituency])
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    kind = {Status.CURRENT: "current member", Status.ARREARS: "member", Status.LAPSED: "lapsed member"}.get(
        status, "member"
    )
    words = f"{count} {kind}{'s' if count != 1 else ''}"
    if status == Status.ARREARS:
        words += " in arrears"
    words += f" in {send.constituency.name}"
    extras = []
    if data.get("branch"):
        extras.append(f"{data['branch'].name} branch")
    if data.get("ward"):
        extras.append(f"{data['ward'].name} ward")
    if data.get("joined_since"):
        extras.append(f"joined since {data['joined_since']:%-d %b %Y}")
    if data.get("lapsed_since"):
        extras.append(f"lapsed since {data['lapsed_since']:%-d %b %Y}")
    if data.get("union"):
        extras.append(f"trade union “{data['union']}”")
    if data.get("consent"):
        extras.append(f"consented to {Channel(data['consent']).label.lower()}")
    if data.get("q"):
        extras.append(f"matching “{data['q']}”")
    if data.get("skills"):
        extras.append("volunteers with " + " or ".join(dict(SKILLS)[s].lower() for s in data["skills"]))
    if data.get("availability"):
        extras.append("free " + " or ".join(dict(AVAILABILITY)[a] for a in data["availability"]))
    if data.get("help_other_clps"):
        extras.append("willing to help other CLPs")
    return f"{words} ({'; '.join(extras)})" if extras else words


def email_body_help(*merge_fields):
    """What an email body accepts (members/email_content.py renders it as Markdown), in plain words."""
    fields = ", ".join(f"{{{{{name}}}}}" for name in merge_fields)
    return (
        "Plain text: a blank line starts a new paragraph, lines starting with “- ” make a list, "
        "**two stars** make bold, *one star* italic, and [words](https://…) a link. "
        f"Each person's own details replace {fields}."
    )


class EmailForm(forms.Form):
    constituency = forms.ModelChoiceField(queryset=None, label="From CLP", empty_label=None)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=email_body_help("first_name", "last_name", "full_name", "branch", "ward"),
    )
    frequency_cap = forms.IntegerField(
        min_value=1, max_value=20, initial=3, label="Skip members who had this many CLP emails in 7 days"
    )

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies


class EmailStartForm(forms.Form):
    when = DayFirstDateTimeField(required=False, label="Send at (leave empty to send now)")
    # The audience count the sender confirmed: the send starts only when it is still the count now.
    confirmed_count = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    granted = forms.TypedChoiceField(
        choices=[("yes", "Agreed"), ("no", "Withdrawn")], coerce=lambda v: v == "yes", label="Answer"
    )
    wording = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The words the member agreed to, or what they said.",
    )


class VolunteerForm(forms.Form):
    skills = forms.MultipleChoiceField(choices=SKILLS, required=False, widget=forms.CheckboxSelectMultiple)
    other_skills = forms.CharField(required=False, max_length=300, help_text="e.g. Polish, BSL, printing")
    availability = forms.MultipleChoiceField(
        choices=AVAILABILITY, required=False, widget=forms.CheckboxSelectMultiple
    )
    help_other_clps = forms.BooleanField(
        required=False, label="Officers of other CLPs in my region may find me and ask for help"
    )


class VolunteerSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, help_text="Name or other skills")
    skill = forms.ChoiceField(choices=[("", "Any skill"), *SKILLS], required=False)
    available = forms.ChoiceField(choices=[("", "Any time"), *AVAILABILITY], required=False)
    region = forms.BooleanField(required=False, label="Include other CLPs in my region (those who said yes)")


class ImportUploadForm(forms.Form):
    constituency = forms.ModelChoiceField(queryset=None, label="CLP", empty_label=None)
    file = forms.FileField(help_text="The membership export: CSV (any encoding) or XLSX.")

    def __init__(self, *args, constituencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies

    def clean_file(self):
        """Refuse, before anything is stored, a file that is too large or whose header line cannot be
        read (a binary file, an unknown encoding, a workbook that unpacks to too much): only the
        start of the file is read."""
        from members import importers

        file = self.cleaned_data["file"]
        if not file.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        try:
            importers.check_size(file.size)
            file.seek(0)
            self.headers = importers.read_headers(file, file.name)
        except importers.ImportRejected as rejected:
            raise forms.ValidationError(str(rejected)) from None
        finally:
            file.seek(0)
        return file


class ImportMapForm(forms.Form):
    """One select per field, offering the file's headers."""

    mapping_name = forms.CharField(max_length=100, initial="Membership export", label="Save this mapping as")

    def __init__(self, *args, headers, initial_columns, **kwargs):
        super().__init__(*args, **kwargs)
        from members.importers import FIELDS

        choices = [("", "(not in this file)")] + [(h, h) for h in headers if h]
        for name, (label, required) in FIELDS.items():
            self.fields[f"col_{name}"] = forms.ChoiceField(
                choices=choices, required=required, label=label, initial=initial_columns.get(name, "")
            )

    def columns(self):
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }
