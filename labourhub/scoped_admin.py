"""The office admin: every page a CLP officer sees is filtered to their own areas."""

from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from labourhub.models import Constituency, Region
from labourhub.scoping import Action, ScopedModel, can, constituencies_for
from labourhub.services import audit_record


class LabourHubAdminSite(admin.AdminSite):
    site_header = "LabourHub office"
    site_title = "LabourHub"
    index_title = "Your CLP's records"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or can(user, Action.USE_ADMIN))

    def login(self, request, extra_context=None):
        # One sign-in for the whole site, so MFA always applies.
        return redirect(
            f"{reverse('account_login')}?{urlencode({'next': request.GET.get('next', '/admin/')})}"
        )


class LabelledSplitDateTime(AdminSplitDateTime):
    """The admin's date and time boxes, each with a label of its own: Django's only label the pair."""

    template_name = "labourhub/admin/split_datetime.html"


class NamedBlankValuesFilter(admin.AllValuesFieldListFilter):
    """Filter by each value in a free-text column, with the empty one shown as "(blank)" rather than
    as a link with no text."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": choice["display"] or "(blank)"}


class ScopedModelAdmin(admin.ModelAdmin):
    """Base for every admin page. Rows, foreign-key choices and actions are limited to the
    constituencies where the user may do `scope_action`; views and changes are audited.

    A ScopedModel is filtered by its own `scope_path` (declared once, on the model; an admin of
    one must not name a path). Only the party's shape and platform records, which are not
    ScopedModels, name `constituency_path` here; `None` for reference data.
    """

    scope_action = Action.USE_ADMIN
    constituency_path = "constituency"
    formfield_overrides = {models.DateTimeField: {"widget": LabelledSplitDateTime}}
    operator_only = False  # platform-wide records only superusers may touch

    def scoped(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        if self.operator_only:
            return queryset.none()
        if issubclass(self.model, ScopedModel):
            return queryset.for_user(request.user, self.scope_action)
        if self.constituency_path is None:
            return queryset
        allowed = constituencies_for(request.user, self.scope_action)
        if self.model is Constituency:
            return queryset.filter(pk__in=allowed.values("pk"))
        if self.model is Region:
            return queryset.filter(constituencies__in=allowed).distinct()
        return queryset.filter(**{f"{self.constituency_path}__in": allowed})

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def get_list_filter(self, request):
        # A plain related-field filter lists every row of the related table; offer only
        # the values present in the user's own rows.
        return [
            (name, admin.RelatedOnlyFieldListFilter) if _is_relation(self.model, name) else name
            for name in super().get_list_filter(request)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = _scoped_choices(
                request, db_field.related_model, field.queryset, self.scope_action
            )
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            field.queryset = _scoped_choices(
                request, db_field.related_model, field.queryset, self.scope_action
            )
        return field

    def _allowed(self, request):
        if request.user.is_superuser:
            return True
        if self.operator_only:
            return False
        # The admin asks this for every model on every page: answer once per request.
        answers = request.__dict__.setdefault("_scope_answers", {})
        if self.scope_action not in answers:
            answers[self.scope_action] = can(request.user, self.scope_action)
        return answers[self.scope_action]

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request) and self._in_scope(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request) and self._in_scope(request, obj)

    def _in_scope(self, request, obj):
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and request.method == "GET":
            obj = self.get_object(request, object_id)
            if obj is not None:
                audit_record(
                    action="admin.view", request=request, obj=obj, constituency=_constituency_of(obj)
                )
        return response

    def changelist_view(self, request, extra_context=None):
        audit_record(
            action="admin.list",
            request=request,
            scope_action=None if self.operator_only else self.scope_action,
            detail={"model": self.model._meta.label_lower, "query": request.GET.urlencode()},
        )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action="admin.change" if change else "admin.add",
            request=request,
            obj=obj,
            constituency=_constituency_of(obj),
            detail={"fields": form.changed_data},
        )

    def delete_model(self, request, obj):
        audit_record(action="admin.delete", request=request, obj=obj, constituency=_constituency_of(obj))
        super().delete_model(request, obj)


def _scoped_choices(request, model, queryset, action):
    if model is Constituency:
        return queryset.filter(pk__in=constituencies_for(request.user, action).values("pk"))
    if model is Region:
        return queryset.filter(constituencies__in=constituencies_for(request.user, action)).distinct()
    if issubclass(model, ScopedModel):
        return queryset.for_user(request.user, action)
    if model is get_user_model():
        # Only people who hold a role somewhere in the user's own areas.
        return queryset.filter(grants__constituency__in=constituencies_for(request.user, action)).distinct()
    if any(f.name == "constituency" for f in model._meta.get_fields()):
        return queryset.filter(constituency__in=constituencies_for(request.user, action))
    return queryset


def _is_relation(model, name):
    if not isinstance(name, str) or "__" in name:
        return False
    field = model._meta.get_field(name)
    return field.is_relation


def _constituency_of(obj):
    if isinstance(obj, Constituency):
        return obj
    return getattr(obj, "audit_constituency", None) or getattr(obj, "constituency", None)


class ReadOnlyAdmin:
    """Put before ScopedModelAdmin for rows only services and imports write (events, results, the
    audit log): the admin shows them in scope, never adds, edits or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OperatorEditsAdmin:
    """Put before ScopedModelAdmin for rows shared across CLPs (reference codes, grants): read in
    scope, added and changed only by the platform operator, never deleted (retire them instead)."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


class OperatorWritesAdmin:
    """Put before ScopedModelAdmin for the party's shape (regions, constituencies, branches, wards,
    polling districts): officers read their own areas; only the platform operator adds, changes
    (a name or a code) or deletes them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
