"""Forms for inbound correspondence: the office's mailbox, .eml uploads, attachments on a case."""

from django import forms

from casework.models_mail import OfficeMailbox


class MailboxForm(forms.Form):
    host = forms.CharField(max_length=253, label="IMAP server", help_text="e.g. imap.example.org")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(choices=OfficeMailbox.Security.choices, initial=OfficeMailbox.Security.SSL)
    username = forms.CharField(max_length=254, label="User name")
    password = forms.CharField(
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the stored one.",
    )
    folder = forms.CharField(max_length=200, initial="INBOX")
    enabled = forms.BooleanField(required=False, initial=True, label="Read new mail from it")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose one or more .eml files.", code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class EmlUploadForm(forms.Form):
    files = MultipleFileField(
        label="Email files (.eml)", widget=MultipleFileInput(attrs={"accept": ".eml,message/rfc822"})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File to attach")
