from django import forms

from labourhub.forms import DayFirstDateField
from labourhub.models import Constituency
from labourhub.scoping import Action, constituencies_for
from voters.importers import base
from voters.importers.encoding import NotText, sniff
from voters.importers.marks import ELECTION_ID_RE
from voters.importers.postcodes import COLUMN_LABELS, DEFAULT_COLUMNS
from voters.models import Channel, RegisterImport

UPLOAD_KINDS = [k for k in RegisterImport.Kind.choices if k[0] != RegisterImport.Kind.POSTCODES]


class ImportForm(forms.Form):
    """Upload a register file, marked register, postal list or model scores for one CLP."""

    constituency = forms.ModelChoiceField(queryset=Constituency.objects.none(), label="Constituency (CLP)")
    # No default: a full register takes everyone missing from it off the register, so the kind is
    # always chosen by the person (issue #14), and a form returned with an error keeps their choice.
    kind = forms.ChoiceField(
        choices=UPLOAD_KINDS,
        label="What is in the file",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what is in the file."},
    )
    file = forms.FileField(
        help_text="CSV or tab-separated text, as exported by the council's register system."
    )
    published_on = DayFirstDateField(
        required=False, label="Publication date (full register)", help_text="E.g. 01/12/2026. Default: today."
    )
    election = forms.CharField(
        required=False,
        label="Election (marked register or postal list)",
        help_text="Democracy Club id, e.g. parl.2024-07-04",
    )
    model = forms.CharField(required=False, max_length=100, label="Model name (scores)")
    run_on = DayFirstDateField(required=False, label="Date the model was run (scores)")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = constituencies_for(user, Action.MANAGE_VOTERS)
        if user.is_superuser:
            self.fields["kind"].choices = RegisterImport.Kind.choices
            self.fields["constituency"].required = False
            self._add_postcode_column_fields()

    def _add_postcode_column_fields(self):
        """Postcode location files are national, so only the platform operator sees these. They start
        as the columns the last postcode import used (the ONS Postcode Directory's by default)."""
        last = RegisterImport.last_postcode_options()
        for key, default in DEFAULT_COLUMNS.items():
            self.fields[f"{key}_column"] = forms.CharField(
                required=False,
                max_length=100,
                initial=last.get(key, default),
                label=f"Column with the {COLUMN_LABELS[key]} (postcode locations)",
                help_text="Leave blank if the file has none." if key == "terminated" else "",
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > base.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024**2} MB; the limit is {base.MAX_FILE_BYTES // 1024**2} MB. "
                "Split it by polling district."
            )
        # A binary file (a workbook, a PDF) is refused now; the rest of the file is checked by the import.
        try:
            sniff(upload.read(8192))
        except NotText as problem:
            raise forms.ValidationError(str(problem)) from None
        finally:
            upload.seek(0)
        return upload

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (RegisterImport.Kind.MARKED, RegisterImport.Kind.POSTAL) and not ELECTION_ID_RE.match(
            data.get("election") or ""
        ):
            self.add_error("election", "Give the election's Democracy Club id, e.g. parl.2024-07-04.")
        if kind == RegisterImport.Kind.SCORES and not data.get("model"):
            self.add_error("model", "Name the model these scores come from.")
        if kind != RegisterImport.Kind.POSTCODES and not data.get("constituency"):
            self.add_error("constituency", "Choose the constituency this file is for.")
        if kind == RegisterImport.Kind.POSTCODES:
            for key in ("postcode", "latitude", "longitude"):
                if not data.get(f"{key}_column", "").strip():
                    self.add_error(f"{key}_column", f"Name the column with the {COLUMN_LABELS[key]}.")
        return data

    def options(self):
        data = self.cleaned_data
        options = {
            "published_on": data["published_on"].isoformat() if data.get("published_on") else "",
            "election": data.get("election", ""),
            "model": data.get("model", ""),
            "run_on": data["run_on"].isoformat() if data.get("run_on") else "",
        }
        options = {key: value for key, value in options.items() if value}
        if data.get("kind") == RegisterImport.Kind.POSTCODES:
            # Every column name is kept, a blank termination column too: it means "none".
            options |= {key: data[f"{key}_column"].strip() for key in DEFAULT_COLUMNS}
        return options


class DoNotContactForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why (as the voter put it)")


class ContactForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    outcome = forms.CharField(max_length=50, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
