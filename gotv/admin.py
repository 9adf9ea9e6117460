"""The office admin for polling day: elections and places are edited here (or imported from the
council's list); tellings, outcomes and counts are events written by the services, shown read-only."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from gotv.models import (
    BallotBox,
    BallotBoxDistrict,
    BoxTurnoutCount,
    CommitteeRoom,
    CommitteeRoomBox,
    Driver,
    Election,
    KnockUpOutcome,
    KnockUpRound,
    LiftRequest,
    PollingStation,
    PostalChaseContact,
    PromiseAdjustment,
    Telling,
    TellingUndo,
    VoteRecord,
    WarpCount,
)
from labourhub.models import PollingDistrict
from labourhub.scoped_admin import ReadOnlyAdmin, ScopedModelAdmin
from labourhub.scoping import Action, constituencies_for


class GotvAdmin(ScopedModelAdmin):
    scope_action = Action.ORGANISE


class ScopedInline(admin.TabularInline):
    """Inlines do not go through ScopedModelAdmin: their choices are scoped here."""

    extra = 0
    scope_action = Action.ORGANISE

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not request.user.is_superuser:
            model = db_field.related_model
            if model is PollingDistrict:
                field.queryset = field.queryset.filter(
                    constituency__in=constituencies_for(request.user, self.scope_action)
                )
            elif hasattr(field.queryset, "for_user"):
                field.queryset = field.queryset.for_user(request.user, self.scope_action)
        return field


class ElectionAdminForm(forms.ModelForm):
    class Meta:
        model = Election
        fields = [
            "constituency", "kind", "name", "democracy_club_id", "poll_date", "polls_open", "polls_close",
            "late_grace_minutes", "wards", "publication", "campaign", "postal_chase_from",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        constituency = data.get("constituency")
        if constituency is None:
            return data
        publication = data.get("publication")
        if publication is not None and publication.constituency_id != constituency.pk:
            self.add_error("publication", f"Choose a register of {constituency}.")
        campaign = data.get("campaign")
        if campaign is not None and campaign.constituency_id != constituency.pk:
            self.add_error("campaign", f"Choose a campaign of {constituency}.")
        wards = data.get("wards") or []
        outside = [str(w) for w in wards if w.constituency_id != constituency.pk]
        if outside:
            self.add_error("wards", f"Not in {constituency}: {', '.join(outside)}.")
        return data


@admin.register(Election)
class ElectionAdmin(GotvAdmin):
    form = ElectionAdminForm
    list_display = ["name", "kind", "poll_date", "constituency", "democracy_club_id"]
    list_filter = ["kind", "constituency"]
    search_fields = ["name", "democracy_club_id"]
    readonly_fields = ["created_by", "created_at", "station_import"]
    filter_horizontal = ["wards"]

    @admin.display(description="Polling stations")
    def station_import(self, obj):
        if obj is None or obj.pk is None:
            return "Save the election first, then import its stations from the council's list."
        url = reverse("gotv:stations_import", args=[obj.pk])
        return format_html('<a href="{}">Import from the council\'s list</a>', url)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PollingStation)
class PollingStationAdmin(GotvAdmin):
    list_display = ["name", "election", "postcode", "council_id"]
    list_filter = ["election"]
    search_fields = ["name", "postcode", "council_id"]
    list_select_related = ["election"]


class BallotBoxDistrictInline(ScopedInline):
    model = BallotBoxDistrict
    fields = ["polling_district", "first_number", "last_number"]


class BallotBoxAdminForm(forms.ModelForm):
    class Meta:
        model = BallotBox
        fields = ["election", "station", "label", "co_located"]

    def clean(self):
        data = super().clean()
        station, election = data.get("station"), data.get("election")
        if station is not None and election is not None and station.election_id != election.pk:
            raise ValidationError({"station": f"Choose a station of {election}."})
        return data


@admin.register(BallotBox)
class BallotBoxAdmin(GotvAdmin):
    form = BallotBoxAdminForm
    list_display = ["label", "station", "election", "co_located"]
    list_filter = ["election", "co_located"]
    search_fields = ["label", "station__name"]
    list_select_related = ["station", "election"]
    inlines = [BallotBoxDistrictInline]


class CommitteeRoomBoxInline(ScopedInline):
    model = CommitteeRoomBox
    fields = ["box"]


@admin.register(CommitteeRoom)
class CommitteeRoomAdmin(GotvAdmin):
    list_display = ["name", "election", "is_main", "organiser", "contact_number"]
    list_filter = ["election", "is_main"]
    list_select_related = ["election", "organiser"]
    inlines = [CommitteeRoomBoxInline]


@admin.register(PromiseAdjustment)
class PromiseAdjustmentAdmin(ReadOnlyAdmin, GotvAdmin):
    """Read-only: adjustments are made on the promise list page, which records the reason."""

    list_display = ["at", "election", "kind", "value", "source", "by", "reason"]
    list_filter = ["kind", "source", "election"]
    list_select_related = ["election", "by"]
    raw_id_fields = ["elector"]


@admin.register(Telling)
class TellingAdmin(ReadOnlyAdmin, GotvAdmin):
    """Read-only: tellings are events. An undo is a row (TellingUndo), never a delete."""

    list_display = ["received_at", "raw_number", "box", "teller", "recorded_at"]
    list_filter = ["election"]
    list_select_related = ["box", "teller"]
    raw_id_fields = ["elector"]
    show_full_result_count = False


@admin.register(TellingUndo)
class TellingUndoAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["at", "telling", "by"]
    list_select_related = ["telling", "by"]


@admin.register(VoteRecord)
class VoteRecordAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["at", "election", "polling_district", "source"]
    list_filter = ["source", "election"]
    list_select_related = ["election", "polling_district"]
    raw_id_fields = ["elector"]
    show_full_result_count = False


@admin.register(BoxTurnoutCount)
class BoxTurnoutCountAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["as_of", "box", "ballots_issued", "recorded_by", "received_at"]
    list_select_related = ["box", "recorded_by"]


@admin.register(WarpCount)
class WarpCountAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["recorded_at", "box", "party", "label", "votes", "invalid"]
    list_filter = ["invalid"]
    list_select_related = ["box", "party"]


@admin.register(KnockUpRound)
class KnockUpRoundAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["committee_room", "number", "name", "tellings_up_to", "created_by", "closed_at"]
    list_select_related = ["committee_room", "created_by"]


@admin.register(KnockUpOutcome)
class KnockUpOutcomeAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["received_at", "round", "outcome", "knocker"]
    list_filter = ["outcome"]
    list_select_related = ["round__committee_room", "knocker"]
    raw_id_fields = ["elector"]


@admin.register(Driver)
class DriverAdmin(GotvAdmin):
    list_display = ["name", "election", "phone", "seats", "wheelchair_accessible", "active"]
    list_filter = ["election", "active", "wheelchair_accessible"]
    list_select_related = ["election"]


@admin.register(LiftRequest)
class LiftRequestAdmin(GotvAdmin):
    list_display = ["name", "election", "window_from", "window_until", "status", "driver"]
    list_filter = ["status", "election"]
    list_select_related = ["election", "driver"]
    raw_id_fields = ["elector", "knock_up_outcome"]
    readonly_fields = ["created_at", "assigned_at", "done_at", "requested_by"]


@admin.register(PostalChaseContact)
class PostalChaseContactAdmin(ReadOnlyAdmin, GotvAdmin):
    list_display = ["at", "election", "channel", "outcome", "by"]
    list_filter = ["channel", "outcome"]
    list_select_related = ["election", "by"]
    raw_id_fields = ["elector"]
