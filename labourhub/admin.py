from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from labourhub.models import AuditEvent, Branch, Constituency, Grant, PollingDistrict, Region, User, Ward
from labourhub.scoped_admin import OperatorEditsAdmin, OperatorWritesAdmin, ReadOnlyAdmin, ScopedModelAdmin
from labourhub.scoping import Action, constituencies_for

# The party's shape is the operator's (issue 10): officers read their own areas, never rename or
# re-code them.


@admin.register(Region)
class RegionAdmin(OperatorWritesAdmin, ScopedModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Constituency)
class ConstituencyAdmin(OperatorWritesAdmin, ScopedModelAdmin):
    list_display = ["name", "gss_code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "gss_code"]


@admin.register(Branch)
class BranchAdmin(OperatorWritesAdmin, ScopedModelAdmin):
    list_display = ["name", "code", "constituency"]
    list_filter = ["constituency"]
    search_fields = ["name", "code"]


@admin.register(Ward)
class WardAdmin(OperatorWritesAdmin, ScopedModelAdmin):
    list_display = ["name", "code", "constituency"]
    list_filter = ["constituency"]
    search_fields = ["name", "code"]


@admin.register(PollingDistrict)
class PollingDistrictAdmin(OperatorWritesAdmin, ScopedModelAdmin):
    list_display = ["code", "name", "ward", "constituency"]
    list_filter = ["constituency"]
    list_select_related = ["ward", "constituency"]
    search_fields = ["code", "name"]


@admin.register(Grant)
class GrantAdmin(OperatorEditsAdmin, ScopedModelAdmin):
    """Officers can see who holds what in their CLP; grants are made by access approvals
    (or by the operator), never edited here."""

    list_display = ["user", "role", "constituency", "region", "starts_at", "expires_at", "revoked_at"]
    list_filter = ["role"]
    list_select_related = ["user", "constituency", "region"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user", "granted_by", "revoked_by"]

    def get_queryset(self, request):
        queryset = Grant.all_objects.select_related("user", "constituency", "region")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(constituency__in=constituencies_for(request.user, self.scope_action))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.VIEW_AUDIT
    list_display = ["at", "user", "action", "object_type", "object_id", "constituency", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["user", "constituency"]
    search_fields = ["action", "object_type", "object_id", "user__email", "request_id"]
    date_hierarchy = "at"


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    operator_only = True
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name"]}),
        ("Platform", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = []
    list_filter = ["is_active", "is_superuser"]


# Third-party admin pages are not scoped, so only the operator gets them (e.g. to reset
# a member's lost authenticator); groups are unused (grants carry permissions).
admin.site.unregister(Group)
admin.site.unregister(EmailAddress)
admin.site.unregister(Authenticator)


@admin.register(EmailAddress)
class EmailAddressAdmin(ScopedModelAdmin, AllauthEmailAddressAdmin):
    operator_only = True


@admin.register(Authenticator)
class AuthenticatorAdmin(ScopedModelAdmin, AllauthAuthenticatorAdmin):
    operator_only = True
