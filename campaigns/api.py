"""Read-only API for organisers and data volunteers: campaigns, and their visits for analysis
(e.g. /api/campaigns/visits/?campaign=3&since=2026-11-01T00:00:00Z). Scoped to the CLPs where
the user may organise; every read is audited."""

import uuid

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from campaigns.models import Answer, Campaign, Question, Visit
from campaigns.sync import parse_time, sync_batch
from labourhub.api import router, v1_router
from labourhub.api_v1.base import ApiViewSet, parse_modified_since
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
            OpenApiParameter("modified_since", OpenApiTypes.DATETIME, description="Received at or after"),
        ]
    ),
    create=extend_schema(
        request=ContactInput,
        responses={201: ContactResult, 200: ContactResult, 409: ContactResult, 422: ContactResult},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    ),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Contacts (canvass visits and calls). Read as the canvass reports do (ORGANISE); written through
    the phone pages' own service (campaigns.sync.sync_batch): the pack or call list must be open to
    the owner, and the contact-frequency rule, do not contact, tombstones and the audit log apply."""

    serializer_class = ContactOutput
    read_scope, read_action = Scope.CONTACTS_READ, Action.ORGANISE
    write_scope, write_action = Scope.CONTACTS_WRITE, Action.CANVASS
    queryset = Visit.objects.none()  # for the schema; every call builds its own, scoped

    def get_queryset(self):
        visits = VisitViewSet(request=self.request).get_queryset()
        since = parse_modified_since(self.request)
        if since is not None:
            visits = visits.filter(received_at__gte=since)
        return visits

    def list(self, request, *args, **kwargs):
        audit_record(
            action="campaigns.api.visits",
            request=request,
            scope_action=Action.ORGANISE,
            detail={"query": request.GET.urlencode(), "token": getattr(request.auth, "pk", None)},
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        visit = self.get_object()
        audit_record(action="campaigns.api.visit", request=request, obj=visit)
        return Response(self.get_serializer(visit).data)

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
