"""The rota's bulk-creation form (issue 17 item 6): how long each block is and how many people
each needs. Read by gotv/views_rota.py; what it will create is shown before anything is."""

from django import forms

from gotv import rota


class RotaCreateForm(forms.Form):
    block_hours = forms.IntegerField(
        label="Hours in each block",
        min_value=1,
        max_value=8,
        initial=rota.DEFAULT_BLOCK_HOURS,
        help_text="From polls open to polls close, e.g. 07:00–22:00 in blocks of 3 hours.",
    )
    tellers = forms.IntegerField(
        label="Tellers needed at each station", min_value=0, max_value=10, initial=1, help_text="0 for none."
    )
    knockers = forms.IntegerField(
        label="Knockers needed at each committee room", min_value=0, max_value=100, initial=4
    )
    drivers = forms.IntegerField(
        label="Drivers needed at each committee room", min_value=0, max_value=20, initial=1
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not (data["tellers"] or data["knockers"] or data["drivers"]):
            raise forms.ValidationError("Ask for at least one teller, knocker or driver.")
        return data
