"""Read-only API of holdings: for outside tools, the record of who should have an account.
Regional reviewers sync accounts from it (e.g. ?tool=contact-creator&active=true).

/api/v1/access/holdings/ and /api/v1/access/requests/ (issue 18): a person's own holdings and
requests (and the requests they may decide), and asking for access for oneself."""

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from access import lookups
from access.deciders import requests_visible_to
from access.models import AccessRequest, Holding, Tool
from access.services import AccessError, request_submit
from access.standing import member_constituencies
from labourhub.api import router, v1_router
from labourhub.api_v1.base import ApiViewSet, TokenScope
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import Scope
from labourhub.api_v1.problems import problem_response
from labourhub.models import Ward
from labourhub.scoping import Action
from labourhub.services import audit_record


class MyHoldingOutput(serializers.ModelSerializer):
    """One of the token owner's own holdings (/api/v1/); HoldingOutput adds the holder."""

    tool = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tool_name = serializers.CharField(source="tool.name")
    constituency = serializers.CharField(source="constituency.gss_code")
    region = serializers.CharField(source="region.code")
    role = serializers.CharField(source="grant.role", default="")

    class Meta:
        model = Holding
        fields = [
            "id", "tool", "tool_name", "role", "constituency", "region", "starts_at", "expires_at",
            "revoked_at", "request",
        ]  # fmt: skip


class HoldingOutput(MyHoldingOutput):
    """A holding with its holder (the regional reviewers' sync: who should have an account)."""

    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")

    class Meta(MyHoldingOutput.Meta):
        fields = [
            "id", "tool", "tool_name", "name", "email", "role", "constituency", "region",
            "starts_at", "expires_at", "revoked_at", "request",
        ]  # fmt: skip


class HoldingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HoldingOutput

    def get_queryset(self):
        holdings = Holding.objects.for_user(self.request.user).select_related(
            "tool", "user", "constituency", "region", "grant"
        )
        params = self.request.query_params
        if params.get("tool"):
            holdings = holdings.filter(tool__slug=params["tool"])
        if params.get("active", "").lower() in ("1", "true", "yes"):
            holdings = holdings.active()
        return holdings.order_by("pk")

    def list(self, request, *args, **kwargs):
        audit_record(
            action="access.api.holdings",
            request=request,
            scope_action=Action.REVIEW_ACCESS,
            detail={"query": request.GET.urlencode()},
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        holding = self.get_object()
        audit_record(action="access.api.holding", request=request, obj=holding)
        return Response(self.get_serializer(holding).data)


router.register("access/holdings", HoldingViewSet, basename="access-holding")


# --- /api/v1/ (issue 18) ------------------------------------------------------------------------


class OwnOrDecided(TokenScope):
    """access:read and access:write need the token's scope but no role: everyone may read their own
    holdings and requests and ask for access for themselves. What a role adds (the requests one may
    decide) is asked afresh on every call by `requests_visible_to`, so an ended grant shows no more
    on the next call; and the request service makes the request page's checks."""


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("active", OpenApiTypes.BOOL, description="Only holdings in force now")]
    )
)
class MyHoldingViewSet(mixins.ListModelMixin, ApiViewSet):
    """The owner's own holdings (as on "Your access")."""

    serializer_class = MyHoldingOutput
    permission_classes = [OwnOrDecided]
    read_scope = Scope.ACCESS_READ
    queryset = Holding.objects.none()  # for the schema; every call builds its own

    def get_queryset(self):
        holdings = lookups.holdings_of(self.request.user).select_related(
            "tool", "constituency", "region", "grant"
        )
        if self.request.query_params.get("active", "").lower() in ("1", "true", "yes"):
            holdings = holdings.active()
        return holdings


class AccessRequestOutput(serializers.ModelSerializer):
    tool = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tool_name = serializers.CharField(source="tool.name")
    requester = serializers.CharField(source="requester.full_name")
    requester_email = serializers.EmailField(source="requester.email")
    constituency = serializers.CharField(source="constituency.gss_code")
    region = serializers.CharField(source="region.code")

    class Meta:
        model = AccessRequest
        fields = [
            "id", "tool", "tool_name", "requester", "requester_email", "constituency", "region", "ward",
            "reason", "needed_by", "status", "step", "step_due_at", "submitted_at", "decided_at",
        ]  # fmt: skip


class AccessRequestInput(serializers.Serializer):
    tool = serializers.SlugField(help_text="The tool's slug, as in /access/rules/")
    constituency = serializers.CharField(max_length=9, help_text="The CLP's GSS code, e.g. E14000001")
    ward = serializers.IntegerField(required=False, help_text="For a tool given for one ward: its id")
    reason = serializers.CharField(max_length=500)
    needed_by = serializers.DateField()

    def validate(self, attrs):
        user = self.context["user"]
        tool = Tool.objects.offered().filter(slug=attrs["tool"]).first()
        if tool is None:
            raise serializers.ValidationError({"tool": f"No tool {attrs['tool']!r} is offered."})
        allowed = member_constituencies(user)  # for oneself: a CLP one belongs to (the form's list)
        constituency = allowed.filter(gss_code=attrs["constituency"]).first()
        if constituency is None:
            raise serializers.ValidationError(
                {"constituency": f"{attrs['constituency']!r} is not a CLP you belong to."}
            )
        ward = None
        if attrs.get("ward") is not None:
            ward = Ward.objects.filter(pk=attrs["ward"], constituency=constituency).first()
            if ward is None:
                raise serializers.ValidationError({"ward": f"Ward {attrs['ward']} is not in {constituency}."})
        return {**attrs, "tool": tool, "constituency": constituency, "ward": ward}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "mine", OpenApiTypes.BOOL, description="Only the owner's own (not those they may decide)"
            ),
            OpenApiParameter("open", OpenApiTypes.BOOL, description="Only requests still open"),
        ]
    ),
    create=extend_schema(
        request=AccessRequestInput,
        responses={201: AccessRequestOutput},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    ),
)
class AccessRequestViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Access requests the owner may open (their own, and those they may endorse or review, as the
    request pages show them); POST asks for access for the owner, through access's own service
    (`request_submit`: the checks of the request page, auto-approval where every condition holds)."""

    serializer_class = AccessRequestOutput
    permission_classes = [OwnOrDecided]
    read_scope, write_scope = Scope.ACCESS_READ, Scope.ACCESS_WRITE
    queryset = AccessRequest.objects.none()  # for the schema; every call builds its own

    def get_queryset(self):
        user = self.request.user
        requests_ = requests_visible_to(user).select_related("tool", "requester", "constituency", "region")
        params = self.request.query_params
        if params.get("mine", "").lower() in ("1", "true", "yes"):
            requests_ = requests_.filter(Q(requester=user) | Q(submitted_by=user))
        if params.get("open", "").lower() in ("1", "true", "yes"):
            requests_ = requests_.open()
        return requests_

    def list(self, request, *args, **kwargs):
        audit_record(
            action="access.api.requests",
            request=request,
            detail={"query": request.GET.urlencode(), "token": getattr(request.auth, "pk", None)},
        )
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        given = AccessRequestInput(data=request.data, context={"user": request.user})
        given.is_valid(raise_exception=True)
        return idempotent_post(request, lambda: self._submit(request, given.validated_data))

    def _submit(self, request, data):
        try:
            access_request = request_submit(
                tool=data["tool"],
                requester=request.user,
                submitted_by=request.user,
                constituency=data["constituency"],
                ward=data["ward"],
                reason=data["reason"],
                needed_by=data["needed_by"],
                http_request=request,
            )
        except AccessError as error:
            return problem_response(422, str(error), errors=[{"field": "tool", "message": str(error)}])
        return Response(AccessRequestOutput(access_request).data, status=201)


v1_router.register("access/holdings", MyHoldingViewSet, basename="v1-access-holding")
v1_router.register("access/requests", AccessRequestViewSet, basename="v1-access-request")
