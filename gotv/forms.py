from django import forms

from gotv.stations import COLUMNS, DEFAULT_COLUMNS, LAYOUTS
from voters.importers import base


class StationImportForm(forms.Form):
    """The council's station list and the names of its columns. A blank column name means the
    layout's default (shown beside it); a name typed here must be in the file."""

    layout = forms.ChoiceField(choices=list(LAYOUTS.items()), label="What the file is")
    file = forms.FileField(help_text="CSV or tab-separated text.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (label, required) in COLUMNS.items():
            defaults = "; ".join(
                f"{LAYOUTS[layout]}: {DEFAULT_COLUMNS[layout][key] or '(none)'}" for layout in LAYOUTS
            )
            self.fields[f"column_{key}"] = forms.CharField(
                required=False,
                max_length=300,
                label=f"Column with the {label}" + ("" if required else " (optional)"),
                help_text=f"Blank for the default — {defaults}.",
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > base.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024**2} MB; the limit is {base.MAX_FILE_BYTES // 1024**2} MB."
            )
        return upload

    def columns(self):
        return {key: self.cleaned_data.get(f"column_{key}", "") for key in COLUMNS}
