"""Read-only API of holdings: for outside tools, the record of who should have an account.
Regional reviewers sync accounts from it (e.g. ?tool=contact-creator&active=true)."""

from rest_framework import serializers, viewsets
from rest_framework.response import Response

from access.models import Holding
from labourhub.api import router
from labourhub.scoping import Action
from labourhub.services import audit_record


class HoldingOutput(serializers.ModelSerializer):
    tool = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tool_name = serializers.CharField(source="tool.name")
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    constituency = serializers.CharField(source="constituency.gss_code")
    region = serializers.CharField(source="region.code")
    role = serializers.CharField(source="grant.role", default="")

    class Meta:
        model = Holding
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
