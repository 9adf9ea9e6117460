"""Setting up an authenticator proves the email address as well as the password (issue 10, item 13).

Without this, MFA enrolment was trust-on-first-use: whoever first signed in with an officer's
password enrolled their own authenticator, and owned the account from then on. Now the activation
form (allauth's, at the same URL) also asks for a one-time code sent to the user's verified email
address:

- the code is sent when the page is first shown (and again on request), through the account
  adapter, so it goes out from the worker like every other account email;
- it is kept in the server-side session of the person who asked (never sent to the browser except
  by email), expires after CODE_MINUTES, is spent by the activation it allows, and dies after
  MAX_ATTEMPTS wrong guesses;
- at most MAX_SENDS codes a user per SEND_WINDOW, counted from the audit log (so the limit holds
  across sessions and processes);
- a user with no verified email address gets no code, and cannot enrol until it is verified.
"""

import secrets
import time
from datetime import timedelta
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.views import ViewRecoveryCodesView
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.views import ActivateTOTPView
from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

from labourhub.models import AuditEvent
from labourhub.services import audit_record

SESSION_KEY = "mfa_enrolment_code"
CODE_DIGITS = 8
CODE_MINUTES = 15
MAX_ATTEMPTS = 5
MAX_SENDS = 3
SEND_WINDOW = timedelta(minutes=15)
SENT_ACTION = "mfa.enrolment_code_sent"


def verified_email(user):
    """The address a code may go to: the user's primary verified one (else any verified one)."""
    address = (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
    ).first()
    return address


def enrolment_code_send(*, request):
    """Email a new code to the signed-in user's verified address. Returns a message for the page."""
    user = request.user
    email = verified_email(user)
    if email is None:
        return "Verify your email address first: the code to set up an authenticator is sent there."
    recent = AuditEvent.objects.filter(action=SENT_ACTION, user=user, at__gte=timezone.now() - SEND_WINDOW)
    if recent.count() >= MAX_SENDS:
        minutes = int(SEND_WINDOW.total_seconds() // 60)
        return f"Too many codes asked for: wait {minutes} minutes, then ask for a new one."
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    request.session[SESSION_KEY] = {
        "code": code,
        "email": email,
        "expires": time.time() + CODE_MINUTES * 60,
        "attempts": 0,
    }
    get_account_adapter(request).send_mail(
        "account/email/mfa_enrolment_code", email, {"user": user, "code": code, "minutes": CODE_MINUTES}
    )
    audit_record(action=SENT_ACTION, request=request, detail={"email": email})
    return f"We emailed a code to {email}. It works for {CODE_MINUTES} minutes."


def enrolment_code_check(*, request, code):
    """None when `code` is the one emailed to this session and still good; else what is wrong."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return "Ask for a code by email first (the button below)."
    if time.time() > state["expires"]:
        request.session.pop(SESSION_KEY, None)
        return "The code we emailed has expired: ask for a new one."
    if state["attempts"] >= MAX_ATTEMPTS:
        return "Too many wrong codes: ask for a new one."
    if not constant_time_compare(str(code).strip(), state["code"]):
        state["attempts"] += 1
        request.session[SESSION_KEY] = state
        return "That is not the code we emailed."
    return None


def enrolment_code_spend(*, request):
    request.session.pop(SESSION_KEY, None)


class ActivateTOTPWithEmailCodeForm(ActivateTOTPForm):
    email_code = forms.CharField(
        label="Code we emailed you",
        help_text="Sent to your verified email address when this page opened.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email_code(self):
        problem = enrolment_code_check(request=self.request, code=self.cleaned_data["email_code"])
        if problem:
            raise forms.ValidationError(problem)
        return self.cleaned_data["email_code"]


class ActivateTOTPWithEmailCodeView(ActivateTOTPView):
    """allauth's activation page (same URL and name), with the emailed code as well."""

    def get_form_class(self):
        return ActivateTOTPWithEmailCodeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def get(self, request, *args, **kwargs):
        if SESSION_KEY not in request.session:
            _tell(request, enrolment_code_send(request=request))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if "send_code" in request.POST:
            _tell(request, enrolment_code_send(request=request))
            return redirect(request.get_full_path())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        enrolment_code_spend(request=self.request)
        return response

    def get_success_url(self):
        """The recovery codes page (or allauth's), still carrying where the user was going."""
        url = super().get_success_url()
        going_to = safe_next(self.request)
        return f"{url}?{urlencode({'next': going_to}, safe='/')}" if going_to else url


def safe_next(request):
    """`?next=` when it is a path on this site, else None (never a way off-site)."""
    going_to = request.GET.get("next", "")
    if going_to and url_has_allowed_host_and_scheme(
        going_to, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return going_to
    return None


class RecoveryCodesWithWayOnView(ViewRecoveryCodesView):
    """allauth's recovery codes page (same URL and name), with a way on to where the user was going
    when enrolment began (issue 14, item 8), else home."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "way_on": safe_next(self.request) or reverse("home")}


def _tell(request, message):
    sent = message.startswith("We emailed")
    (messages.success if sent else messages.error)(request, message)


activate_totp = ActivateTOTPWithEmailCodeView.as_view()
view_recovery_codes = RecoveryCodesWithWayOnView.as_view()
