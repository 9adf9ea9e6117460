"""/api/v1/tellings/: polling-day tellings from a script (issue 18), e.g. an agent's tablet or a
committee room's scanner. POST a batch of poll numbers seen voting at one box, each with the client's
UUID: they go through the teller's phone page's own service (`gotv.telling_sync.telling_sync`), so
each UUID is applied once, the poll window, the box's districts, the grant and the late-entry rule all
apply, and subscribers get the telling webhook. GET ?election= gives the box counts the organiser's
agents' counts page shows (ORGANISE): tellings per box, the latest ballots-issued count, WARP totals."""

from django.db.models import Count, Q, Sum
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers
from rest_framework.response import Response

from gotv.models import BallotBox, BoxTurnoutCount, Election, WarpCount
from gotv.telling_sync import MAX_BATCH, telling_sync
from labourhub.api import v1_router
from labourhub.api_v1.base import ApiViewSet
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import Scope
from labourhub.scoping import Action, get_for_user
from labourhub.services import audit_record


class TellingEntry(serializers.Serializer):
    uuid = serializers.UUIDField(help_text="The client's id for this entry: it is applied once")
    number = serializers.CharField(max_length=40, help_text="The poll number as seen, e.g. AB-123 or 123")
    recorded_at = serializers.DateTimeField(required=False, help_text="When it was seen (default: now)")


class TellingBatch(serializers.Serializer):
    election = serializers.IntegerField()
    box = serializers.IntegerField()
    entries = TellingEntry(many=True, allow_empty=False, max_length=MAX_BATCH)


class TellingResultOutput(serializers.Serializer):
    uuid = serializers.CharField()
    status = serializers.CharField(
        help_text="found, already_told, duplicate (stored); invalid, unknown, not_on_box, ambiguous, "
        "conflict, refused (nothing stored, message says why)"
    )
    final = serializers.BooleanField()
    message = serializers.CharField()
    name = serializers.CharField()
    number = serializers.CharField()


class BoxCountOutput(serializers.Serializer):
    box = serializers.IntegerField()
    label = serializers.CharField()
    station = serializers.CharField()
    tellings = serializers.IntegerField(help_text="Numbers told at this box (undone ones left out)")
    ballots_issued = serializers.IntegerField(allow_null=True, help_text="The agents' latest count")
    ballots_issued_as_of = serializers.DateTimeField(allow_null=True)
    warp_total = serializers.IntegerField(help_text="WARP votes counted (invalid counts left out)")


def _election_id(request):
    raw = request.query_params.get("election", "")
    if not raw.isdigit():
        raise exceptions.ValidationError({"election": "Give the election's id (a number): ?election=12."})
    return int(raw)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("election", OpenApiTypes.INT, required=True)],
        responses=BoxCountOutput(many=True),
    ),
    create=extend_schema(
        request=TellingBatch,
        responses={200: inline_serializer("TellingResults", {"results": TellingResultOutput(many=True)})},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
    ),
)
class TellingViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ApiViewSet):
    serializer_class = BoxCountOutput
    pagination_class = None  # one row per box of one election
    read_scope, read_action = Scope.TELLINGS_READ, Action.ORGANISE
    write_scope, write_action = Scope.TELLINGS_WRITE, Action.TELL
    queryset = BallotBox.objects.none()  # for the schema; every call builds its own, scoped

    def list(self, request, *args, **kwargs):
        election = get_for_user(Election, request, _election_id(request), Action.ORGANISE)
        boxes = (
            BallotBox.objects.for_user(request.user, Action.ORGANISE)
            .filter(election=election)
            .select_related("station")
            .annotate(told=Count("tellings", filter=Q(tellings__undo__isnull=True)))
            .order_by("label", "pk")
        )
        latest = {}
        turnout = BoxTurnoutCount.objects.for_user(request.user, Action.ORGANISE).filter(election=election)
        for count in turnout.order_by("box_id", "-as_of", "-received_at").distinct("box_id"):
            latest[count.box_id] = count
        warps = dict(
            WarpCount.objects.for_user(request.user, Action.ORGANISE)
            .filter(election=election, invalid=False)
            .order_by()
            .values("box")
            .annotate(total=Sum("votes"))
            .values_list("box", "total")
        )
        audit_record(action="telling.api.counts", request=request, obj=election)
        rows = [
            {
                "box": box.pk,
                "label": box.label,
                "station": box.station.name if box.station_id else "",
                "tellings": box.told,
                "ballots_issued": latest[box.pk].ballots_issued if box.pk in latest else None,
                "ballots_issued_as_of": latest[box.pk].as_of if box.pk in latest else None,
                "warp_total": warps.get(box.pk) or 0,
            }
            for box in boxes
        ]
        return Response(BoxCountOutput(rows, many=True).data)

    def create(self, request, *args, **kwargs):
        given = TellingBatch(data=request.data)
        given.is_valid(raise_exception=True)
        return idempotent_post(request, lambda: self._tell(request, given.validated_data))

    def _tell(self, request, data):
        items = [
            {
                "uuid": str(entry["uuid"]),
                "kind": "telling",
                "election": data["election"],
                "box": data["box"],
                "number": entry["number"],
                "recorded_at": (entry.get("recorded_at") or timezone.now()).isoformat(),
            }
            for entry in data["entries"]
        ]
        return Response({"results": telling_sync(user=request.user, items=items, request=request)})


v1_router.register("tellings", TellingViewSet, basename="v1-telling")
