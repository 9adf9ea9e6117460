"""Operators (superusers) post incidents with timed updates and schedule maintenance here."""

from django.contrib import admin
from django.utils import timezone

from labourhub.status import services
from labourhub.status.forms import IncidentForm, MaintenanceForm
from labourhub.status.models import Incident, IncidentUpdate, Maintenance


class OperatorsOnly:
    """Not a CLP's records: the platform's operators run the status page."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class IncidentUpdateInline(OperatorsOnly, admin.TabularInline):
    model = IncidentUpdate
    extra = 1
    fields = ["status", "at", "body"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["at"].initial = timezone.now
        return formset


@admin.register(Incident)
class IncidentAdmin(OperatorsOnly, admin.ModelAdmin):
    form = IncidentForm
    inlines = [IncidentUpdateInline]
    list_display = ["title", "status", "impact", "created_at", "resolved_at"]
    list_filter = ["status"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.incident_status_refresh(incident=form.instance)


@admin.register(Maintenance)
class MaintenanceAdmin(OperatorsOnly, admin.ModelAdmin):
    form = MaintenanceForm
    list_display = ["title", "starts_at", "ends_at"]
