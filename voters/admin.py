"""The office admin for the register: scoped to the officer's CLPs (ScopedModelAdmin)."""

from django import forms
from django.contrib import admin

from labourhub.scoped_admin import ReadOnlyAdmin, ScopedModelAdmin
from labourhub.scoping import Action
from voters import services
from voters.models import (
    Contact,
    ContactRule,
    Elector,
    ModelVersion,
    PostcodeLocation,
    Property,
    RegisterImport,
)

REGISTER_FIELDS = (
    "polling_district", "home", "elector_number", "elector_suffix", "elector_number_raw", "title",
    "first_names", "initials", "surname", "markers_raw", "markers", "attainment_date", "opted_out",
    "on_register", "first_seen_month", "removed_month", "match_key", "last_contact_at", "updated_at",
)  # fmt: skip


@admin.register(Elector)
class ElectorAdmin(ScopedModelAdmin):
    scope_action = Action.MANAGE_VOTERS
    list_display = ("surname", "first_names", "elector_number_raw", "on_register", "do_not_contact")
    list_filter = ("on_register", "do_not_contact", "opted_out")
    list_select_related = ("polling_district",)
    search_fields = ("^surname", "=elector_number_raw")
    readonly_fields = REGISTER_FIELDS  # from the register: only imports change them
    fields = (*REGISTER_FIELDS, "do_not_contact", "do_not_contact_reason", "do_not_contact_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # history must survive: electors leave the register, never the database


@admin.register(Property)
class PropertyAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.MANAGE_VOTERS
    list_display = ("address", "postcode_display", "polling_district")
    list_select_related = ("polling_district",)
    search_fields = ("^postcode", "^street")
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.MANAGE_VOTERS
    list_display = ("at", "channel", "elector", "by", "campaign_label", "outcome")
    list_filter = ("channel",)
    list_select_related = ("elector__polling_district", "by")
    show_full_result_count = False


@admin.register(ContactRule)
class ContactRuleAdmin(ScopedModelAdmin):
    scope_action = Action.MANAGE_VOTERS
    list_display = ("constituency", "channel", "quiet_days")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    scope_action = Action.MANAGE_VOTERS
    list_display = ("name", "run_on", "constituency", "score_names")


@admin.register(PostcodeLocation)
class PostcodeLocationAdmin(ReadOnlyAdmin, ScopedModelAdmin):
    operator_only = True
    constituency_path = None
    list_display = ("postcode_display", "latitude", "longitude", "terminated")
    search_fields = ("^postcode",)


class RegisterImportForm(forms.ModelForm):
    class Meta:
        model = RegisterImport
        fields = ("constituency", "kind", "file", "options")
        help_texts = {
            "options": 'E.g. {"election": "parl.2024-07-04"} or {"model": "Support", "run_on": "2026-11-01"}'
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:  # absent on the read-only view of an existing import
            self.fields["file"].required = True


@admin.register(RegisterImport)
class RegisterImportAdmin(ScopedModelAdmin):
    """Upload here (add) or on the office page; the import runs in the worker."""

    scope_action = Action.MANAGE_VOTERS
    form = RegisterImportForm
    list_display = (
        "created_at",
        "file_name",
        "kind",
        "constituency",
        "status",
        "added",
        "changed",
        "removed",
    )
    list_filter = ("kind", "status")
    readonly_fields = (
        "file_name", "checksum", "file_format", "status", "stage", "uploaded_by", "created_at", "started_at",
        "finished_at", "rows_total", "rows_done", "added", "changed", "removed", "unchanged", "rejected",
        "errors", "notes",
    )  # fmt: skip

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # Postcode locations are national data: only the operator imports them (issue 10), as on
        # the office page; the service refuses them from anyone else too.
        if db_field.name == "kind" and not request.user.is_superuser:
            kwargs["choices"] = [
                choice for choice in RegisterImport.Kind.choices if choice[0] != RegisterImport.Kind.POSTCODES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        record = services.register_import_create(
            constituency=obj.constituency,
            kind=obj.kind,
            file=form.cleaned_data["file"],
            user=request.user,
            options=obj.options,
            queue=True,
        )
        obj.pk, obj._state.adding = record.pk, False
