from django import forms

from labourhub.models import Branch, Ward
from members.models import Channel, Status


class MemberFilterForm(forms.Form):
    """The secretary's member filters; also what an email's audience is saved as."""

    q = forms.CharField(
        label="Search", required=False, help_text="Name, membership number, postcode or email"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), required=False, empty_label="Any branch")
    ward = forms.ModelChoiceField(queryset=Ward.objects.none(), required=False, empty_label="Any ward")
    joined_since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    lapsed_since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    has_email = forms.ChoiceField(
        label="Email address",
        choices=[("", "Either"), ("yes", "Has email"), ("no", "No email")],
        required=False,
    )
    union = forms.CharField(label="Trade union", required=False)
    consent = forms.ChoiceField(label="Consented to", choices=[("", "Any"), *Channel.choices], required=False)

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
        return {name: self.data.get(name) for name in self.fields if self.data.get(name)}


def audience_filters(send):
    form = MemberFilterForm(data=send.audience, constituencies=[send.constituency])
    if not form.is_valid():
        raise ValueError(f"The saved audience of email {send.pk} is no longer valid: {form.errors.as_text()}")
    return form.filters()
