"""The office admin for canvassing: reference codes (operator-wide), campaigns and what hangs off them."""

from django.contrib import admin

from campaigns.models import (
    CallList,
    Campaign,
    DoorOutcome,
    FollowUp,
    IntentionCode,
    Issue,
    Pack,
    PhoneNumber,
    Relation,
    Survey,
    SyncProblem,
    Visit,
    WalkList,
)
from labourhub.scoped_admin import OperatorEditsAdmin, ReadOnlyAdmin, ScopedModelAdmin
from labourhub.scoping import Action


class ReferenceAdmin(OperatorEditsAdmin, ScopedModelAdmin):
    """Codes shared by every CLP: everyone in the admin reads them, only the operator edits.
    Retire a code (active off) rather than deleting it, so old answers keep their meaning."""

    constituency_path = None
    list_display = ["code", "label", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(IntentionCode)
class IntentionCodeAdmin(ReferenceAdmin):
    list_display = ["code", "label", "is_party", "takes_strength", "is_ours", "position", "active"]


@admin.register(DoorOutcome)
class DoorOutcomeAdmin(ReferenceAdmin):
    list_display = ["code", "label", "channel", "spoke", "review", "try_again", "position", "active"]
    list_filter = ["channel"]


@admin.register(Issue)
class IssueAdmin(ReferenceAdmin):
    pass


class CampaignScopedAdmin(ScopedModelAdmin):
    scope_action = Action.ORGANISE


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin):
    list_display = ["name", "constituency", "starts_on", "ends_on"]
    list_filter = ["constituency"]
    search_fields = ["name"]
    readonly_fields = ["created_by"]


@admin.register(Survey)
class SurveyAdmin(CampaignScopedAdmin):
    """Questions are changed on the survey page, which makes a new version each time."""

    list_display = ["name", "campaign", "created_at"]
    fields = ["campaign", "name"]


@admin.register(WalkList)
class WalkListAdmin(CampaignScopedAdmin):
    list_display = ["name", "campaign", "door_count", "elector_count", "created_at"]
    readonly_fields = ["criteria", "door_count", "elector_count", "created_by"]
    search_fields = ["name"]


@admin.register(Pack)
class PackAdmin(CampaignScopedAdmin):
    list_display = ["sheet_id", "name", "walk_list", "assigned_to", "door_count"]
    search_fields = ["sheet_id", "name"]
    readonly_fields = ["walk_list", "number", "sheet_id", "share_token", "door_count"]
    list_select_related = ["walk_list", "assigned_to"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin, CampaignScopedAdmin):
    """Read-only: visits are events. Void suspect ones on the campaign's review page."""

    list_display = ["received_at", "campaign", "canvasser", "outcome", "channel", "voided"]
    list_filter = ["channel", "voided", "campaign"]
    list_select_related = ["campaign", "canvasser", "outcome"]
    raw_id_fields = ["elector", "contact"]


@admin.register(SyncProblem)
class SyncProblemAdmin(CampaignScopedAdmin):
    list_display = ["at", "kind", "user", "client_uuid", "message"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "user", "constituency", "client_uuid", "message", "payload", "at"]

    def has_add_permission(self, request):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(CampaignScopedAdmin):
    list_display = ["kind", "campaign", "created_at", "due_at", "done_at"]
    list_filter = ["kind"]
    raw_id_fields = ["visit", "elector"]


@admin.register(CallList)
class CallListAdmin(CampaignScopedAdmin):
    list_display = ["name", "campaign", "entry_count", "created_at"]
    readonly_fields = ["criteria", "entry_count", "created_by"]


@admin.register(PhoneNumber)
class PhoneNumberAdmin(CampaignScopedAdmin):
    list_display = ["number", "elector", "tps", "objected", "source"]
    list_filter = ["tps", "objected"]
    raw_id_fields = ["elector"]


@admin.register(Relation)
class RelationAdmin(CampaignScopedAdmin):
    list_display = ["owner", "elector", "kind", "created_at"]
    raw_id_fields = ["elector"]
