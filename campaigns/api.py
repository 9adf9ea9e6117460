"""Read-only API for organisers and data volunteers: campaigns, and their visits for analysis
(e.g. /api/campaigns/visits/?campaign=3&since=2026-11-01T00:00:00Z). Scoped to the CLPs where
the user may organise; every read is audited."""

from django.db.models import Prefetch
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from campaigns.models import Answer, Campaign, Question, Visit
from campaigns.sync import parse_time
from labourhub.api import router
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
