"""Forms every app's pages share."""

from django import forms


class SearchForm(forms.Form):
    """The search box of a list page or export: `q`, trimmed, at most 100 characters. Like every
    CharField it refuses NUL bytes (which Postgres cannot hold), so bad input is a form error naming
    the field, never a database error."""

    q = forms.CharField(label="Search", required=False, max_length=100)

    @classmethod
    def of(cls, request):
        """(form, the text to search for: '' when the query is not valid)."""
        form = cls(request.GET)
        return form, form.cleaned_data["q"] if form.is_valid() else ""

    def problem(self):
        """What is wrong and where, e.g. 'Search: Null characters are not allowed.' ('' if nothing)."""
        return " ".join(
            f"{self.fields[name].label}: {message}"
            for name, errors in self.errors.items()
            for message in errors
        )
