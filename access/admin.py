"""The catalogue's admin. Requests, decisions and holdings are changed only by services,
so they are read-only here."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from access.models import (
    AccessRequest,
    Decision,
    EscalationContact,
    Holding,
    Tool,
    TrainingRecord,
)
from access.services import AccessError, tool_save
from labourhub.models import Role
from labourhub.scoped_admin import OperatorEditsAdmin, ReadOnlyAdmin, ScopedModelAdmin
from labourhub.scoping import Action


class ToolForm(forms.ModelForm):
    """Who endorses and who approves, as ticks against LabourHub's roles."""

    endorser_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=Tool._meta.get_field("endorser_roles").help_text,
    )
    approver_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=Tool._meta.get_field("approver_roles").help_text,
    )

    class Meta:
        model = Tool
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets list them; this form only adds the ticks)


@admin.register(Tool)
class ToolAdmin(OperatorEditsAdmin, ScopedModelAdmin):
    """The catalogue decides who gets which role in every region, so only the platform operator
    adds or changes tools (issue 10); regional staff read it. Saving goes through `tool_save`,
    which validates the rules again and audits the change for the public rules page."""

    form = ToolForm
    scope_action = Action.REVIEW_ACCESS
    constituency_path = None  # reference data, the same for every CLP
    list_display = [
        "name",
        "role",
        "level",
        "needs_endorsement",
        "endorsers_in_words",
        "approvers_in_words",
        "decision_hours",
        "default_days",
        "auto_approve",
        "is_active",
    ]
    list_filter = ["level", "is_active", "auto_approve"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request, obj=None):
        return False  # retire a tool with is_active; its requests keep pointing at it

    def save_model(self, request, obj, form, change):
        try:
            tool_save(tool=obj, user=request.user, http_request=request)
        except AccessError as error:  # the form validated the same rules: only a race gets here
            raise PermissionDenied(str(error)) from error


class DecisionInline(admin.TabularInline):
    model = Decision
    fields = ["at", "step", "outcome", "by", "on_behalf_of", "note", "duration_days"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.ENDORSE_ACCESS
    list_display = [
        "tool",
        "requester",
        "constituency",
        "status",
        "step_due_at",
        "escalation_level",
        "submitted_at",
    ]
    list_filter = ["status", "tool", "escalation_level"]
    list_select_related = ["tool", "requester", "constituency"]
    search_fields = ["requester__email", "requester__full_name", "tool__name"]
    inlines = [DecisionInline]


@admin.register(Holding)
class HoldingAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.ENDORSE_ACCESS
    list_display = ["tool", "user", "constituency", "starts_at", "expires_at", "revoked_at"]
    list_filter = ["tool"]
    list_select_related = ["tool", "user", "constituency"]
    search_fields = ["user__email", "user__full_name", "tool__name"]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(ScopedModelAdmin):
    """Regional staff record data-protection training for members in their region."""

    scope_action = Action.REVIEW_ACCESS
    constituency_path = "user__member__constituency"
    list_display = ["user", "course", "completed_on"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user", "recorded_by"]


@admin.register(EscalationContact)
class EscalationContactAdmin(ScopedModelAdmin):
    operator_only = True
    list_display = ["level", "region", "title", "user"]
    raw_id_fields = ["user"]
