"""The core's URLs for the scoping walker (see tests/test_scoping_walker.py)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from labourhub.models import (
    AuditEvent,
    Branch,
    Constituency,
    Grant,
    PollingDistrict,
    Region,
    Role,
    User,
    Ward,
)
from labourhub.services import audit_record
from tests.factories import BranchFactory, ConstituencyFactory


def _no_kwargs(anytown):
    return {}


URLS = dict.fromkeys(
    [
        "home",
        "api-root",
        "healthz",
        "account_login",
        "account_logout",
        "account_inactive",
        "account_signup",
        "account_reauthenticate",
        "account_email",
        "account_email_verification_sent",
        "account_change_password",
        "account_set_password",
        "account_reset_password",
        "account_confirm_login_code",
        "account_reset_password_from_key_done",
        "account_reset_password_done",
        "mfa_index",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
    ],
    _no_kwargs,
) | {
    "account_confirm_email": lambda anytown: {"key": "not-a-real-key"},
    "account_reset_password_from_key": lambda anytown: {"uidb36": "1", "key": "not-a-real-key"},
    "admin:auth_user_password_change": lambda anytown: {"id": anytown.user(Role.CLP_SECRETARY).pk},
    # Data protection (issue 16, items 4 and 5).
    "retention_index": _no_kwargs,
    "retention_preview": lambda anytown: {"pk": anytown.constituency.pk},
    "retention_records": lambda anytown: {"pk": anytown.constituency.pk, "key": "contacts"},
    "privacy_notice_edit": lambda anytown: {"pk": anytown.constituency.pk},
    # Public by design: a CLP's notice shows that CLP's name to everyone, so it is walked with a CLP
    # that is not Anytown (the walk still checks that nothing of Anytown's shows or changes there).
    "privacy_notice": lambda anytown: {"gss": _public_clp().gss_code},
    "privacy_notice_short": lambda anytown: {"gss": _public_clp().gss_code},
    # The SMS provider's callbacks (labourhub/views_sms.py): public, refused without its signature.
    "sms_status": _no_kwargs,
    "sms_inbound": _no_kwargs,
}


def _public_clp():
    return ConstituencyFactory(name="Publicville", gss_code="E14000777")


ADMIN_OBJECTS = {
    Region: lambda anytown: anytown.constituency.region,
    Constituency: lambda anytown: anytown.constituency,
    Ward: lambda anytown: anytown.ward,
    PollingDistrict: lambda anytown: anytown.polling_district,
    Branch: lambda anytown: BranchFactory(constituency=anytown.constituency, name="Anytown North"),
    Grant: lambda anytown: Grant.objects.get(user=anytown.user(Role.CLP_SECRETARY)),
    User: lambda anytown: anytown.user(Role.CLP_SECRETARY),
    EmailAddress: lambda anytown: EmailAddress.objects.get(user=anytown.user(Role.CLP_SECRETARY)),
    Authenticator: lambda anytown: Authenticator.objects.filter(
        user=anytown.user(Role.CLP_SECRETARY)
    ).first(),
    AuditEvent: lambda anytown: audit_record(
        action="test.anytown", constituency=anytown.constituency, detail={"note": "Anytown"}
    ),
}

# Pages that cannot show another CLP's records, and why (the walker still fetches and POSTs them).
_OWN_ACCOUNT = "allauth's pages about the signed-in user's own sign-in and MFA: no CLP's records"
NO_CANARY = dict.fromkeys(
    [
        "account_login",
        "account_logout",
        "account_inactive",
        "account_signup",
        "account_reauthenticate",
        "account_email_verification_sent",
        "account_change_password",
        "account_set_password",
        "account_confirm_login_code",
        "account_confirm_email",
        "account_reset_password_from_key_done",
        "account_reset_password_from_key",
        "mfa_index",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
    ],
    _OWN_ACCOUNT,
) | {
    "privacy_notice": "public by design (a CLP's published notice): walked with another CLP's code",
    "privacy_notice_short": "redirects to a CLP's public notice by its code: walked with another CLP's",
    "healthz": "reports whether the database and broker answer, nothing else",
    "sms_status": "the SMS provider's delivery receipts: answers 403 or 204, never a body",
    "sms_inbound": "the SMS provider's incoming texts: answers 403 or an empty TwiML reply",
    "api-root": "lists the API's endpoints, no rows",
    "admin:app_list": "lists the models the user may open, never rows",
    "admin:jsi18n": "the admin's translation catalogue",
    "admin:autocomplete": "no admin uses autocomplete_fields, so it answers 403 to everyone",
    "admin:labourhub_region_history": "regions are the party's public map: no CLP's history",
    "admin:labourhub_region_changelist": "regions are the party's public map, no CLP's records",
    "admin:labourhub_region_add": "an empty form",
    "admin:labourhub_region_change": "regions are the party's public map, no CLP's records",
    "admin:labourhub_region_delete": "regions are the public map, and protected by their constituencies",
    "admin:labourhub_constituency_add": "an empty form",
    "admin:labourhub_pollingdistrict_delete": "protected by its electors: names only the district's code",
    "admin:labourhub_user_add": "an empty form",
    "admin:account_emailaddress_add": "an empty form",
    "admin:mfa_authenticator_add": "an empty form",
}
