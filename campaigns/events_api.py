"""/api/v1/events/: the events of the owner's CLPs (issue 17) with their shifts and how full each is,
and /api/v1/events/{id}/signups/: the sign-ups (GET, for the event's organisers) and a new sign-up
(POST, events:write) made through the public sign-up's own service (`event_signup`: the consent box,
the erasure tombstones, the waiting list and the confirmation email all apply), under the public
page's rate limit as well as the API's. Found by labourhub/urls.py (autodiscover "events_api")."""

from allauth.core.internal import ratelimit
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import events, events_privacy, events_services
from campaigns.models import Event, Shift, Signup
from labourhub.api import v1_router
from labourhub.api_v1.base import ApiViewSet, parse_modified_since
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import ApiToken, Scope
from labourhub.api_v1.problems import problem_response
from labourhub.scoping import Action, constituencies_for, get_for_user
from labourhub.services import audit_record


class ShiftOutput(serializers.ModelSerializer):
    booked = serializers.IntegerField()
    waiting = serializers.IntegerField()
    fill = serializers.SerializerMethodField(help_text="short (under the minimum), ok, or full")

    class Meta:
        model = Shift
        fields = ["id", "starts_at", "ends_at", "role", "minimum", "maximum", "booked", "waiting", "fill"]

    @extend_schema_field({"type": "string", "enum": ["short", "ok", "full"]})
    def get_fill(self, shift):
        return events.fill_status(shift)


class EventOutput(serializers.ModelSerializer):
    constituency = serializers.CharField(source="constituency.gss_code")
    # Not the model's help text: its example names a place (and the walker's canary CLP).
    meeting_area = serializers.CharField(
        help_text="Where to meet, roughly (the exact point: to people booked)"
    )
    shifts = ShiftOutput(many=True, source="api_shifts")

    class Meta:
        model = Event
        # Not the exact meeting point: the public page shows it only to people booked.
        fields = [
            "id", "constituency", "kind", "title", "description", "meeting_area", "accessibility",
            "visibility", "status", "capacity", "needs_approval", "created_at", "shifts",
        ]  # fmt: skip


class SignupOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="contact.name")
    email = serializers.EmailField(source="contact.email")
    phone = serializers.CharField(source="contact.phone")
    member = serializers.IntegerField(source="contact.member_id", allow_null=True)

    class Meta:
        model = Signup
        fields = ["id", "shift", "name", "email", "phone", "member", "status", "status_at", "attendance"]


class SignupInput(serializers.Serializer):
    shift = serializers.IntegerField(help_text="One of the event's shifts")
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    consent_email = serializers.BooleanField(
        help_text="The person ticked the box to get emails about this event (required: true)"
    )
    consent_sms = serializers.BooleanField(required=False, default=False)
    consent_wording = serializers.CharField(
        max_length=2000,
        required=False,
        help_text="The words the person agreed to (default: the sign-up page's)",
    )


class SignupCreated(serializers.Serializer):
    id = serializers.IntegerField()
    shift = serializers.IntegerField()
    status = serializers.CharField()


def _shifts(user, action):
    booked = Q(signups__status=Signup.Status.BOOKED)
    return (
        Shift.objects.for_user(user, action)
        .annotate(
            booked=Count("signups", filter=booked),
            waiting=Count("signups", filter=Q(signups__status=Signup.Status.WAITING)),
        )
        .order_by("starts_at", "id")
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "upcoming", OpenApiTypes.BOOL, description="Only events with a shift still to end"
            ),
            OpenApiParameter("modified_since", OpenApiTypes.DATETIME, description="Created at or after"),
        ]
    )
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Events of the owner's CLPs: every event where they organise (ORGANISE), and where they only
    canvass (CANVASS) the CLP's public and members' events (an invited event is seen only through its
    link). Sign-ups only for the event's organisers."""

    serializer_class = EventOutput
    read_scope, read_action = Scope.EVENTS_READ, Action.CANVASS
    write_scope, write_action = Scope.EVENTS_WRITE, Action.ORGANISE
    queryset = Event.objects.none()  # for the schema; every call builds its own, scoped

    def get_queryset(self):
        user = self.request.user
        listed = (
            Event.objects.for_user(user, Action.CANVASS)
            .filter(
                ~Q(visibility=Event.Visibility.INVITED)
                | Q(constituency__in=constituencies_for(user, Action.ORGANISE))
            )
            .select_related("constituency")
            .prefetch_related(
                Prefetch("shifts", queryset=_shifts(user, Action.CANVASS), to_attr="api_shifts")
            )
        )
        if self.request.query_params.get("upcoming", "").lower() in ("1", "true", "yes"):
            listed = listed.filter(shifts__ends_at__gt=timezone.now()).distinct()
        since = parse_modified_since(self.request)
        if since is not None:
            listed = listed.filter(created_at__gte=since)
        return listed

    def list(self, request, *args, **kwargs):
        audit_record(
            action="event.api.list",
            request=request,
            scope_action=Action.CANVASS,
            detail={"query": request.GET.urlencode(), "token": getattr(request.auth, "pk", None)},
        )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        event = self.get_object()
        audit_record(action="event.api.view", request=request, obj=event)
        return Response(self.get_serializer(event).data)

    @extend_schema(methods=["GET"], responses=SignupOutput(many=True))
    @extend_schema(
        methods=["POST"],
        request=SignupInput,
        responses={201: SignupCreated, 200: SignupCreated},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def signups(self, request, pk=None):
        """GET: the event's sign-ups (its organisers). POST: sign someone up to one of its shifts."""
        event = get_for_user(Event, request, pk, Action.ORGANISE, related=("constituency",))
        if request.method == "GET":
            audit_record(action="event.api.signups", request=request, obj=event)
            signups = (
                Signup.objects.for_user(request.user, Action.ORGANISE)
                .filter(shift__event=event)
                .select_related("contact")
                .order_by("pk")
            )
            return Response(SignupOutput(signups[:1000], many=True).data)
        given = SignupInput(data=request.data)
        given.is_valid(raise_exception=True)
        return idempotent_post(request, lambda: self._signup(request, event, given.validated_data))

    def _signup(self, request, event, data):
        shift = (
            Shift.objects.for_user(request.user, Action.ORGANISE)
            .filter(event=event, pk=data["shift"])
            .first()
        )
        if shift is None:
            raise exceptions.ValidationError(
                {"shift": f"Shift {data['shift']} is not a shift of this event."}
            )
        # The public page's limit on sign-ups from one address (bots), on top of the API's.
        if not ratelimit.consume(
            request._request, app="campaigns.events", action="signup", config={"signup": events.SIGNUP_RATE}
        ):
            raise exceptions.Throttled(detail="Too many sign-ups from this address; try again later.")
        token = request.auth
        source = f"API client {token.pk}: {token.name}"[:50] if isinstance(token, ApiToken) else "API client"
        try:
            signup = events_services.event_signup(
                event=event,
                shift=shift,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                consent_email=data["consent_email"],
                consent_sms=data["consent_sms"],
                wording=data.get("consent_wording")
                or "Emails about this event (signed up through an API client).",
                source=source,
            )
        except DjangoValidationError as error:
            message = " ".join(error.messages)
            field = "consent_email" if not data["consent_email"] else "shift"
            return problem_response(422, message, errors=[{"field": field, "message": message}])
        if signup is None:  # an erasure tombstone: nothing kept, no reason given (as the public page)
            return problem_response(
                422,
                events_privacy.SIGNUP_NOT_TAKEN,
                errors=[{"field": "email", "message": events_privacy.SIGNUP_NOT_TAKEN}],
            )
        return Response({"id": signup.pk, "shift": shift.pk, "status": signup.status}, status=201)


v1_router.register("events", EventViewSet, basename="v1-event")
