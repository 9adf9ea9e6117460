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
from tests.factories import BranchFactory


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
}

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
