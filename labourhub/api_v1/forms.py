from django import forms
from django.utils import timezone
from django.utils.html import format_html

from labourhub.api_v1.models import Scope
from labourhub.forms import DayFirstDateField


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “Campaign Lab turnout model”.")
    scopes = forms.MultipleChoiceField(
        # Plain words first; the name (what the API docs and errors say) as a code hint.
        choices=[(name, format_html("{} <code>{}</code>", words, name)) for name, words in Scope.choices],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = DayFirstDateField(required=False, help_text="Leave empty for a token that does not expire.")

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Give a day after today.")
        return day
