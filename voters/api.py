"""/api/v1/electors/: the register, read and searched as the "Find a voter" page does (VIEW_VOTERS,
every list audited), paged by cursor in primary-key order; `modified_since` for incremental sync
and /api/v1/electors/removed/ for the ids a client must drop (off the register, or do not contact
since an objection or erasure)."""

import re

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from labourhub.api import v1_router
from labourhub.api_v1.base import ReadViewSet, parse_modified_since
from labourhub.api_v1.models import Scope
from labourhub.scoping import Action
from labourhub.services import audit_record
from voters.models import Elector

ELECTOR_NUMBER = re.compile(
    r"^(?:(?P<district>[A-Za-z0-9]{1,6})[-/ ])?(?P<number>\d{1,7})(?:\.(?P<suffix>\d{1,3}))?$"
)


class ElectorOutput(serializers.ModelSerializer):
    polling_district = serializers.CharField(source="polling_district.code")
    address = serializers.CharField(source="home.address", default="")
    postcode = serializers.CharField(source="home.postcode_display", default="")

    class Meta:
        model = Elector
        fields = [
            "id", "polling_district", "elector_number", "elector_suffix", "title", "first_names",
            "surname", "markers", "address", "postcode", "on_register", "opted_out", "do_not_contact",
            "last_contact_at", "updated_at",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "name", OpenApiTypes.STR, description="Surname (or first names) starting with this"
            ),
            OpenApiParameter("postcode", OpenApiTypes.STR, description="A full postcode, e.g. AB1 2CD"),
            OpenApiParameter(
                "elector_number", OpenApiTypes.STR, description="An elector number: 123, AB-123 or AB-123.1"
            ),
        ]
    )
)
class ElectorViewSet(ReadViewSet):
    serializer_class = ElectorOutput
    read_scope = Scope.ELECTORS_READ
    read_action = Action.VIEW_VOTERS
    queryset = Elector.objects.none()  # for the schema; every call builds its own, scoped
    modified_field = "updated_at"
    audit_list, audit_detail = "voters.api.electors", "voters.api.elector"

    def scoped_queryset(self):
        electors = Elector.objects.for_user(self.request.user, Action.VIEW_VOTERS).select_related(
            "polling_district", "home"
        )
        params = self.request.query_params
        if params.get("name"):
            name = params["name"].strip()
            electors = electors.filter(Q(surname__istartswith=name) | Q(first_names__istartswith=name))
        if params.get("postcode"):
            electors = electors.filter(home__postcode=re.sub(r"\s+", "", params["postcode"]).upper())
        if params.get("elector_number"):
            found = ELECTOR_NUMBER.match(params["elector_number"].strip())
            if found is None:
                raise exceptions.ValidationError(
                    {"elector_number": "Give an elector number such as 123, AB-123 or AB-123.1."}
                )
            electors = electors.filter(elector_number=int(found["number"]))
            if found["district"]:
                electors = electors.filter(polling_district__code__iexact=found["district"])
            if found["suffix"]:
                electors = electors.filter(elector_suffix=int(found["suffix"]))
        return electors

    @extend_schema(
        responses=inline_serializer(
            "RemovedElectors", {"ids": serializers.ListField(child=serializers.IntegerField())}
        ),
        parameters=[OpenApiParameter("modified_since", OpenApiTypes.DATETIME)],
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def removed(self, request):
        """Ids a synced copy must drop: off the register, or not to be contacted (an objection or an
        erasure), changed at or after `modified_since`."""
        electors = Elector.objects.for_user(request.user, Action.VIEW_VOTERS).filter(
            Q(on_register=False) | Q(do_not_contact=True)
        )
        since = parse_modified_since(request)
        if since is not None:
            electors = electors.filter(Q(updated_at__gte=since) | Q(do_not_contact_at__gte=since))
        audit_record(
            action="voters.api.removed",
            request=request,
            scope_action=Action.VIEW_VOTERS,
            detail={"query": request.GET.urlencode()},
        )
        return Response({"ids": list(electors.order_by("pk").values_list("pk", flat=True))})


v1_router.register("electors", ElectorViewSet, basename="v1-elector")
