from django.contrib import admin

from labourhub.scoped_admin import NamedBlankValuesFilter, ScopedModelAdmin
from labourhub.scoping import Action
from members.models import Consent, EmailSend, ImportMapping, Member, MemberImport, Volunteer


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    fields = ["channel", "granted", "recorded_at", "wording", "source", "recorded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # consents are recorded through the member's page or an import, with wording


@admin.register(Member)
class MemberAdmin(ScopedModelAdmin):
    scope_action = Action.MANAGE_MEMBERS
    list_display = ["membership_number", "last_name", "first_name", "status", "branch", "joined_on", "email"]
    list_filter = ["status", "branch", "ward", ("membership_type", NamedBlankValuesFilter), "consent_email"]
    search_fields = ["membership_number", "last_name", "first_name", "email", "postcode"]
    list_select_related = ["branch"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "consent_email",
        "consent_sms",
        "consent_phone",
        "consent_post",
        "email_hard_bounces",
        "email_bounced_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ConsentInline]


@admin.register(Volunteer)
class VolunteerAdmin(ScopedModelAdmin):
    scope_action = Action.MANAGE_MEMBERS
    list_display = ["member", "help_other_clps", "updated_at"]
    list_filter = ["help_other_clps"]
    search_fields = ["member__last_name", "member__first_name", "other_skills"]
    raw_id_fields = ["member"]


class OfficeRecordAdmin(ScopedModelAdmin):
    """A CLP office's record made and run on the office pages (an email send, an import): here it is
    only read."""

    scope_action = Action.MANAGE_MEMBERS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailSend)
class EmailSendAdmin(OfficeRecordAdmin):
    list_display = ["subject", "state", "planned_count", "skipped_by_cap", "created_at", "finished_at"]
    list_filter = ["state"]
    search_fields = ["subject"]
    readonly_fields = ["state", "planned_at", "planned_count", "skipped_by_cap", "finished_at", "created_by"]


@admin.register(ImportMapping)
class ImportMappingAdmin(ScopedModelAdmin):
    scope_action = Action.MANAGE_MEMBERS
    list_display = ["name", "constituency", "updated_at"]


@admin.register(MemberImport)
class MemberImportAdmin(OfficeRecordAdmin):
    list_display = ["file_name", "state", "rows_total", "created_at"]
    list_filter = ["state"]
    readonly_fields = ["state", "rows_read", "rows_total", "report", "finished_at", "uploaded_by"]
