"""Operators (superusers) post incidents with timed updates and schedule maintenance here."""

from django.contrib import admin
from django.utils import timezone

from labourhub.scoped_admin import ScopedModelAdmin
from labourhub.status import services
from labourhub.status.forms import IncidentForm, IncidentUpdateForm, MaintenanceForm
from labourhub.status.models import Incident, IncidentUpdate, Maintenance


class IncidentUpdateInline(admin.StackedInline):  # stacked: each field labelled (axe)
    model = IncidentUpdate
    form = IncidentUpdateForm
    extra = 1
    fields = ["status", "at", "body"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["at"].initial = timezone.now
        return formset


@admin.register(Incident)
class IncidentAdmin(ScopedModelAdmin):
    operator_only = True  # the platform's status page: no CLP's record
    constituency_path = None
    form = IncidentForm
    inlines = [IncidentUpdateInline]
    list_display = ["title", "status", "impact", "created_at", "resolved_at"]
    list_filter = ["status"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.incident_status_refresh(incident=form.instance)


@admin.register(Maintenance)
class MaintenanceAdmin(ScopedModelAdmin):
    operator_only = True
    constituency_path = None
    form = MaintenanceForm
    list_display = ["title", "starts_at", "ends_at"]
