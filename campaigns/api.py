"""Read-only API for organisers and data volunteers: campaigns, and their visits for analysis
(e.g. /api/campaigns/visits/?campaign=3&since=2026-11-01T00:00:00Z). Scoped to the CLPs where
the user may organise; every read is audited."""

import uuid

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from campaigns import packs
from campaigns.models import (
    Answer,
    CallEntry,
    CallList,
    Campaign,
    IntentionCode,
    Pack,
    Question,
    Signup,
    Survey,
    SurveyVersion,
    Visit,
    WalkList,
)
from campaigns.sync import parse_time, sync_batch
from labourhub.api import router, v1_router
from labourhub.api_v1.base import ReadListViewSet, ReadViewSet, ScopeAndGrant
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import ApiToken, Scope
from labourhub.api_v1.problems import problem_response
from labourhub.scoping import Action
from labourhub.services import audit_record


class CampaignOutput(serializers.ModelSerializer):
    constituency = serializers.CharField(source="constituency.gss_code")

    class Meta:
        model = Campaign
        fields = ["id", "name", "constituency", "starts_on", "ends_on"]


class VisitOutput(serializers.ModelSerializer):
    outcome = serializers.CharField(source="outcome.code")
    polling_district = serializers.CharField(source="elector.polling_district.code")
    intention = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id", "client_uuid", "campaign", "channel", "elector", "polling_district", "outcome",
            "intention", "issues", "survey_version", "received_at", "voided", "flags",
        ]  # fmt: skip

    def get_issues(self, visit):
        return [row.issue.code for row in visit.issues.all()]

    def get_intention(self, visit):
        answer = next(iter(visit.intention_answers), None)
        return {"code": answer.intention.code, "strength": answer.strength} if answer else None


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CampaignOutput

    def get_queryset(self):
        return Campaign.objects.for_user(self.request.user, Action.ORGANISE).select_related("constituency")


class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitOutput

    def get_queryset(self):
        visits = (
            Visit.objects.for_user(self.request.user, Action.ORGANISE)
            .select_related("outcome", "elector__polling_district")
            .prefetch_related(
                "issues__issue",
                Prefetch(
                    "answers",
                    queryset=Answer.objects.filter(question__kind=Question.Kind.INTENTION).select_related(
                        "intention"
                    ),
                    to_attr="intention_answers",
                ),
            )
            .order_by("pk")
        )
        params = self.request.query_params
        if params.get("campaign"):
            if not params["campaign"].isdigit():
                raise ValidationError({"campaign": "Give a campaign id (a number)."})
            visits = visits.filter(campaign=int(params["campaign"]))
        if params.get("since"):
            since = parse_time(params["since"])
            if since is None:
                raise ValidationError({"since": "Give a date and time, e.g. 2026-11-01T00:00:00Z."})
            visits = visits.filter(received_at__gte=since)
        return visits

    def list(self, request, *args, **kwargs):
        audit_record(
            action="campaigns.api.visits",
            request=request,
            scope_action=Action.ORGANISE,
            detail={"query": request.GET.urlencode()},
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        audit_record(action="campaigns.api.visit", request=request, obj=visit)
        return Response(self.get_serializer(visit).data)


router.register("campaigns/campaigns", CampaignViewSet, basename="campaigns-campaign")
router.register("campaigns/visits", VisitViewSet, basename="campaigns-visit")


# --- /api/v1/ (issue 18) ------------------------------------------------------------------------


class ContactInput(serializers.Serializer):
    """One canvass visit or call, as the phone pages send it (campaigns.sync)."""

    pack = serializers.IntegerField(required=False, help_text="The pack (walk list sheet) it belongs to")
    call_list = serializers.IntegerField(required=False, help_text="Or the phone bank's call list")
    elector = serializers.IntegerField()
    outcome = serializers.CharField(max_length=40, help_text="A door outcome code, e.g. spoke")
    answers = serializers.DictField(required=False, help_text="Survey answers: {question key: value}")
    survey_version = serializers.IntegerField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    recorded_at = serializers.DateTimeField(required=False, help_text="When it happened (default: now)")
    uuid = serializers.UUIDField(required=False, help_text="The client's id for it (default: a new one)")

    def validate(self, attrs):
        if ("pack" in attrs) == ("call_list" in attrs):
            raise serializers.ValidationError({"pack": "Give exactly one of pack and call_list."})
        return attrs


class ContactResult(serializers.Serializer):
    uuid = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    visit = serializers.IntegerField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())


class ContactOutput(VisitOutput):
    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_issues(self, visit):
        return super().get_issues(visit)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"code": {"type": "string"}, "strength": {"type": "integer", "nullable": True}},
        }
    )
    def get_intention(self, visit):
        return super().get_intention(visit)


# sync's statuses as HTTP: a new contact, a repeat already held, a UUID used for something else, refused.
SYNC_STATUS_HTTP = {"recorded": 201, "duplicate": 200, "conflict": 409}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("campaign", OpenApiTypes.INT),
        ]
    ),
    create=extend_schema(
        request=ContactInput,
        responses={201: ContactResult, 200: ContactResult, 409: ContactResult, 422: ContactResult},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    ),
)
class ContactViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Contacts (canvass visits and calls). Read as the canvass reports do (ORGANISE); written through
    the phone pages' own service (campaigns.sync.sync_batch): the pack or call list must be open to
    the owner, and the contact-frequency rule, do not contact, tombstones and the audit log apply."""

    serializer_class = ContactOutput
    read_scope, read_action = Scope.CONTACTS_READ, Action.ORGANISE
    write_scope, write_action = Scope.CONTACTS_WRITE, Action.CANVASS
    queryset = Visit.objects.none()  # for the schema; every call builds its own, scoped
    modified_field, modified_since_help = "received_at", "Received at or after"
    audit_list, audit_detail = "campaigns.api.visits", "campaigns.api.visit"

    def scoped_queryset(self):
        return VisitViewSet(request=self.request).get_queryset()

    def create(self, request, *args, **kwargs):
        given = ContactInput(data=request.data)
        given.is_valid(raise_exception=True)
        return idempotent_post(request, lambda: self._record(request, given.validated_data))

    def _record(self, request, data):
        item = {key: value for key, value in data.items() if key not in ("uuid", "recorded_at")}
        item["uuid"] = str(data.get("uuid") or uuid.uuid4())
        item["recorded_at"] = (data.get("recorded_at") or timezone.now()).isoformat()
        token = request.auth  # the contact's source names the API client, not the phone page
        source = f"API client {token.pk}: {token.name}"[:30] if isinstance(token, ApiToken) else "API client"
        (result,) = sync_batch(user=request.user, items=[item], request=request, source=source)
        if result["status"] in SYNC_STATUS_HTTP:
            return Response(result, status=SYNC_STATUS_HTTP[result["status"]])
        return problem_response(
            422, result["message"], errors=[{"field": "elector", "message": result["message"]}]
        )


v1_router.register("contacts", ContactViewSet, basename="v1-contact")


# --- /api/v1/: campaigns and surveys, walk lists and packs, the phone bank (issue 18, item 1) -----
# Each reads through the page it mirrors' own scoping: campaigns and surveys as the campaign page
# (ORGANISE), walk lists as the walk-list page (ORGANISE), packs as the canvassing pages (a canvasser
# the packs given to them, an organiser every pack of their CLPs), call lists as the phone bank's
# list page (CANVASS) and each person's outcome on a list as the campaign's visits page (ORGANISE).


def _answer_options(question, intention_codes):
    """The answers a question takes, as [{value, label}] (what `answers` carries when a contact is
    written), from the version's frozen options, or the standard codes for its kind."""
    kind = Question.Kind
    if question.kind == kind.INTENTION:
        return [{"value": code, "label": label} for code, label in intention_codes]
    if question.kind == kind.ISSUES:
        return [{"value": code, "label": label} for code, label in question.options]
    if question.kind == kind.YES_NO:
        return [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}]
    if question.kind == kind.LIKELIHOOD:
        return [{"value": n, "label": str(n)} for n in range(11)]
    return []


class AnswerOption(serializers.Serializer):
    value = serializers.JSONField(help_text="What to send for this answer")
    label = serializers.CharField()


class QuestionOutput(serializers.ModelSerializer):
    party = serializers.CharField(source="party.code", default=None, allow_null=True)
    options = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["key", "kind", "text", "party", "follow_up", "position", "options"]

    @extend_schema_field(AnswerOption(many=True))
    def get_options(self, question):
        return _answer_options(question, self.context["intention_codes"])


class SurveyVersionOutput(serializers.ModelSerializer):
    questions = QuestionOutput(many=True)

    class Meta:
        model = SurveyVersion
        fields = ["id", "number", "note", "created_at", "questions"]


class SurveyOutput(serializers.ModelSerializer):
    versions = SurveyVersionOutput(many=True, help_text="Newest first; answers name the version they used")

    class Meta:
        model = Survey
        fields = ["id", "campaign", "name", "created_at", "versions"]


def _campaign_filter(request, rows, field="campaign"):
    """`?campaign=<id>`, or a 400 naming the parameter."""
    given = request.query_params.get("campaign")
    if not given:
        return rows
    if not given.isdigit():
        raise ValidationError({"campaign": "Give a campaign id (a number)."})
    return rows.filter(**{field: int(given)})


CAMPAIGN_PARAMETER = OpenApiParameter("campaign", OpenApiTypes.INT, description="Only this campaign's")


class CampaignReadViewSet(ReadListViewSet):
    """Campaigns of the CLPs the owner organises (the campaign page)."""

    serializer_class = CampaignOutput
    read_scope, read_action = Scope.CAMPAIGNS_READ, Action.ORGANISE
    queryset = Campaign.objects.none()  # for the schema; every call builds its own, scoped
    audit_list = "campaigns.api.campaigns"

    def scoped_queryset(self):
        return Campaign.objects.for_user(self.request.user, Action.ORGANISE).select_related("constituency")


@extend_schema_view(list=extend_schema(parameters=[CAMPAIGN_PARAMETER]))
class SurveyReadViewSet(ReadListViewSet):
    """Surveys with every version's questions and the answers each takes (the survey page)."""

    serializer_class = SurveyOutput
    read_scope, read_action = Scope.CAMPAIGNS_READ, Action.ORGANISE
    queryset = Survey.objects.none()
    audit_list = "campaigns.api.surveys"

    def scoped_queryset(self):
        user = self.request.user
        versions = (
            SurveyVersion.objects.for_user(user, Action.ORGANISE)
            .order_by("-number")
            .prefetch_related(
                Prefetch(
                    "questions", queryset=Question.objects.select_related("party").order_by("position", "id")
                )
            )
        )
        surveys = Survey.objects.for_user(user, Action.ORGANISE).prefetch_related(
            Prefetch("versions", queryset=versions)
        )
        return _campaign_filter(self.request, surveys)

    def get_serializer_context(self):
        codes = IntentionCode.objects.active().values_list("code", "label")
        return {**super().get_serializer_context(), "intention_codes": list(codes)}


class PackSummary(serializers.ModelSerializer):
    assigned = serializers.SerializerMethodField(help_text="Given to a canvasser")

    class Meta:
        model = Pack
        fields = ["id", "number", "name", "sheet_id", "door_count", "assigned"]

    def get_assigned(self, pack) -> bool:
        return pack.assigned_to_id is not None


class WalkListOutput(serializers.ModelSerializer):
    packs = PackSummary(many=True)

    class Meta:
        model = WalkList
        fields = [
            "id", "campaign", "name", "created_at", "pack_size", "door_count", "elector_count", "packs",
        ]  # fmt: skip


@extend_schema_view(list=extend_schema(parameters=[CAMPAIGN_PARAMETER]))
class WalkListReadViewSet(ReadListViewSet):
    """Walk lists with their packs, as the walk-list page shows them to an organiser."""

    serializer_class = WalkListOutput
    read_scope, read_action = Scope.WALKLISTS_READ, Action.ORGANISE
    queryset = WalkList.objects.none()
    audit_list = "campaigns.api.walk_lists"

    def scoped_queryset(self):
        user = self.request.user
        walk_lists = WalkList.objects.for_user(user, Action.ORGANISE).prefetch_related(
            Prefetch("packs", queryset=Pack.objects.for_user(user, Action.ORGANISE).order_by("number"))
        )
        return _campaign_filter(self.request, walk_lists)


class PackOutput(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="walk_list.campaign_id")

    class Meta:
        model = Pack
        fields = ["id", "walk_list", "campaign", "number", "name", "sheet_id", "door_count"]


class PackElector(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="full_name")
    elector_number = serializers.CharField(source="elector_number_raw")


class PackDoorOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The property")
    address = serializers.CharField()
    postcode = serializers.CharField()
    electors = PackElector(many=True)


class PackWithDoors(PackOutput):
    doors = serializers.SerializerMethodField()

    class Meta(PackOutput.Meta):
        fields = [*PackOutput.Meta.fields, "doors"]

    @extend_schema_field(PackDoorOutput(many=True))
    def get_doors(self, pack):
        """The doors in walking order and the people the canvassing page shows at each: on the
        register and not marked do not contact (campaigns.packs.pack_doors, the page's own list)."""
        return PackDoorOutput(
            [
                {
                    "id": home.pk,
                    "address": home.address,
                    "postcode": home.postcode_display,
                    "electors": people,
                }
                for home, people in packs.pack_doors(pack)
            ],
            many=True,
        ).data


class PackCanvassGrantOrVisitingPack(ScopeAndGrant):
    """The pack pages' rule (`Pack.objects.for_user(user, CANVASS)`): a CANVASS grant, or a visiting
    activist's day with a pack handed to them at check-in (the visiting role carries no CANVASS grant,
    so asking for one refused the pack the page opens). Which packs is still the queryset's to say."""

    def has_permission(self, request, view):
        try:
            return super().has_permission(request, view)
        except exceptions.PermissionDenied:
            if self.scope_held(request, view)[0] and Signup.objects.visiting_packs(request.user).exists():
                return True
            raise


class PackReadViewSet(ReadViewSet):
    """Packs as the canvassing pages open them: a canvasser's token reads the packs given to them; an
    organiser's every pack of their CLPs; a visiting activist's the pack handed to them at a session's
    check-in, while their day lasts. A single pack carries its doors and people, as the canvassing
    page does."""

    permission_classes = [PackCanvassGrantOrVisitingPack]
    serializer_class = PackOutput
    read_scope, read_action = Scope.WALKLISTS_READ, Action.CANVASS
    queryset = Pack.objects.none()
    audit_list, audit_detail = "campaigns.api.packs", "campaigns.api.pack"

    def scoped_queryset(self):
        return Pack.objects.for_user(self.request.user, Action.CANVASS).select_related("walk_list")

    def get_serializer_class(self):
        return PackWithDoors if self.action == "retrieve" else PackOutput


class CallListOutput(serializers.ModelSerializer):
    waiting = serializers.IntegerField(help_text="People still to call")
    claimed = serializers.IntegerField(help_text="With a caller now")
    done = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Contacted recently: left out by the contact-frequency rule")

    class Meta:
        model = CallList
        fields = [
            "id", "campaign", "name", "script", "created_at", "entry_count", "waiting", "claimed", "done",
            "skipped",
        ]  # fmt: skip


@extend_schema_view(list=extend_schema(parameters=[CAMPAIGN_PARAMETER]))
class CallListReadViewSet(ReadListViewSet):
    """Call lists and how far each has got, as the phone bank's list page shows them (CANVASS)."""

    serializer_class = CallListOutput
    read_scope, read_action = Scope.PHONEBANK_READ, Action.CANVASS
    queryset = CallList.objects.none()
    audit_list = "campaigns.api.call_lists"

    def scoped_queryset(self):
        counts = {
            status: Count("entries", filter=Q(entries__status=status))
            for status in ("waiting", "claimed", "done", "skipped")
        }
        call_lists = CallList.objects.for_user(self.request.user, Action.CANVASS).annotate(**counts)
        return _campaign_filter(self.request, call_lists)


class CallOutcomeOutput(serializers.ModelSerializer):
    outcome = serializers.CharField(allow_null=True, help_text="The latest call's outcome code, if called")
    outcome_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = CallEntry
        fields = [
            "id", "call_list", "elector", "position", "status", "attempts", "call_back_at", "outcome",
            "outcome_at",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("call_list", OpenApiTypes.INT, description="Only this call list's")]
    )
)
class CallOutcomeReadViewSet(ReadListViewSet):
    """Each person on a call list, where they are (waiting, done, skipped), and the outcome of their
    latest call on that list (not voided): per person, so for organisers, as the visits page."""

    serializer_class = CallOutcomeOutput
    read_scope, read_action = Scope.PHONEBANK_READ, Action.ORGANISE
    queryset = CallEntry.objects.none()
    audit_list = "campaigns.api.call_outcomes"

    def scoped_queryset(self):
        latest = (
            Visit.objects.for_user(self.request.user, Action.ORGANISE)
            .filter(call_list=OuterRef("call_list"), elector=OuterRef("elector"), voided=False)
            .order_by("-received_at")
        )
        entries = CallEntry.objects.for_user(self.request.user, Action.ORGANISE).annotate(
            outcome=Subquery(latest.values("outcome__code")[:1]),
            outcome_at=Subquery(latest.values("received_at")[:1]),
        )
        given = self.request.query_params.get("call_list")
        if given:
            if not given.isdigit():
                raise ValidationError({"call_list": "Give a call list id (a number)."})
            entries = entries.filter(call_list=int(given))
        return entries


v1_router.register("campaigns", CampaignReadViewSet, basename="v1-campaign")
v1_router.register("surveys", SurveyReadViewSet, basename="v1-survey")
v1_router.register("walk-lists", WalkListReadViewSet, basename="v1-walk-list")
v1_router.register("packs", PackReadViewSet, basename="v1-pack")
v1_router.register("call-lists", CallListReadViewSet, basename="v1-call-list")
v1_router.register("call-outcomes", CallOutcomeReadViewSet, basename="v1-call-outcome")
