"""/api/v1/members/: members, read as the member pages show them (VIEW_MEMBERS, scoped to the owner's
CLPs, every read audited), searched by name, email or membership number, with `modified_since`; and
/api/v1/members/{id}/consents/: a member's consent history (GET) and a consent change (POST,
MANAGE_MEMBERS as the member page's consent form), recorded through members' own consent service
(`consent_record`: the Consent row, the member's current answer that the email engine reads, and the
audit log). Idempotency-Key on the POST."""

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from labourhub.api import v1_router
from labourhub.api_v1.base import ApiViewSet, parse_modified_since
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import ApiToken, Scope
from labourhub.scoping import Action, get_for_user
from labourhub.services import audit_record
from members.models import Channel, Consent, Member, Status
from members.services import consent_record


class MemberOutput(serializers.ModelSerializer):
    branch = serializers.CharField(source="branch.name", default=None, allow_null=True)
    ward = serializers.CharField(source="ward.name", default=None, allow_null=True)
    constituency = serializers.CharField(source="constituency.gss_code")

    class Meta:
        model = Member
        fields = [
            "id", "constituency", "membership_number", "title", "first_name", "last_name", "email",
            "mobile", "phone", "address_line1", "address_line2", "address_line3", "town", "postcode",
            "status", "joined_on", "arrears_since", "lapsed_on", "membership_type", "branch", "ward",
            "trade_union", "socialist_societies", "consent_email", "consent_sms", "consent_phone",
            "consent_post", "updated_at",
        ]  # fmt: skip


# Channels as plain text in the schema: an enum would collide with voters' contact channels (another
# choice set under the same field name), a warning the schema test fails on.
CHANNELS = f"One of {', '.join(Channel.values)}"


class ConsentOutput(serializers.ModelSerializer):
    channel = serializers.CharField(help_text=CHANNELS)

    class Meta:
        model = Consent
        fields = ["id", "channel", "granted", "recorded_at", "wording", "source"]


class ConsentInput(serializers.Serializer):
    channel = serializers.CharField(max_length=10, help_text=CHANNELS)
    granted = serializers.BooleanField(help_text="true: consent given; false: withdrawn")
    wording = serializers.CharField(
        max_length=2000, help_text="The words the member agreed to, or how they withdrew"
    )

    def validate_channel(self, value):
        if value not in Channel.values:
            raise serializers.ValidationError(
                f"{value!r} is not a way we contact members: {CHANNELS.lower()}."
            )
        return value


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, description="Last (or first) name starting with this"),
            OpenApiParameter("email", OpenApiTypes.STR, description="An email address (capitals or not)"),
            OpenApiParameter("membership_number", OpenApiTypes.STR, description="A membership number"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Status.values),
            OpenApiParameter("modified_since", OpenApiTypes.DATETIME, description="Changed at or after"),
        ]
    )
)
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = MemberOutput
    read_scope, read_action = Scope.MEMBERS_READ, Action.VIEW_MEMBERS
    write_scope, write_action = Scope.MEMBERS_WRITE, Action.MANAGE_MEMBERS
    queryset = Member.objects.none()  # for the schema; every call builds its own, scoped

    def get_queryset(self):
        members = Member.objects.for_user(self.request.user, Action.VIEW_MEMBERS).select_related(
            "branch", "ward", "constituency"
        )
        params = self.request.query_params
        if params.get("name"):
            name = params["name"].strip()
            members = members.filter(Q(last_name__istartswith=name) | Q(first_name__istartswith=name))
        if params.get("email"):
            members = members.filter(email__iexact=params["email"].strip())
        if params.get("membership_number"):
            members = members.filter(membership_number__iexact=params["membership_number"].strip())
        if params.get("status"):
            if params["status"] not in Status.values:
                raise serializers.ValidationError(
                    {"status": f"Give one of {', '.join(Status.values)}, not {params['status']!r}."}
                )
            members = members.filter(status=params["status"])
        since = parse_modified_since(self.request)
        if since is not None:
            members = members.filter(updated_at__gte=since)
        return members

    def list(self, request, *args, **kwargs):
        audit_record(
            action="members.api.list",
            request=request,
            scope_action=Action.VIEW_MEMBERS,
            detail={"query": request.GET.urlencode(), "token": getattr(request.auth, "pk", None)},
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        member = self.get_object()
        audit_record(
            action="members.api.view",
            request=request,
            obj=member,
            detail={"token": getattr(request.auth, "pk", None)},
        )
        return Response(self.get_serializer(member).data)

    @extend_schema(methods=["GET"], responses=ConsentOutput(many=True))
    @extend_schema(
        methods=["POST"],
        request=ConsentInput,
        responses={201: ConsentOutput},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def consents(self, request, pk=None):
        """GET: the member's consents, newest first (members:read). POST: record a consent given or
        withdrawn on one channel (members:write), as an officer does on the member's page."""
        if request.method == "GET":
            member = get_for_user(Member, request, pk, Action.VIEW_MEMBERS)
            audit_record(action="members.api.consents", request=request, obj=member)
            return Response(ConsentOutput(member.consents.all()[:200], many=True).data)
        given = ConsentInput(data=request.data)
        given.is_valid(raise_exception=True)
        member = get_for_user(Member, request, pk, Action.MANAGE_MEMBERS)
        return idempotent_post(request, lambda: self._consent(request, member, given.validated_data))

    def _consent(self, request, member, data):
        token = request.auth
        source = f"API client {token.pk}: {token.name}"[:50] if isinstance(token, ApiToken) else "API client"
        consent = consent_record(
            member=member,
            channel=data["channel"],
            granted=data["granted"],
            wording=data["wording"],
            source=source,
            user=request.user,
            http_request=request,
        )
        return Response(ConsentOutput(consent).data, status=201)


v1_router.register("members", MemberViewSet, basename="v1-member")
