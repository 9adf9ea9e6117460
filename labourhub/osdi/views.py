"""/api/osdi/v1/: OSDI 1.2 in HAL+JSON on /api/v1/'s machinery (labourhub.api_v1.base.ApiViewSet):
`OSDI-API-Token` or `Authorization: Bearer`, each call needing the token's scope and the owner's grant
for the page it mirrors at that moment, reads through `Model.objects.for_user` with the owner as the
user, rate limits, problem+json errors, and `Idempotency-Key` on the one write (a canvass, through
campaigns.sync.sync_batch as the phone pages and /api/v1/contacts/ write). What maps to what:
labourhub/osdi/resources.py. Not in /api/v1/'s OpenAPI schema (`schema = None`): OSDI's own
specification describes these resources, and HAL's `_links`/`_embedded` would only be loose objects
there."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Max, Min
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework import exceptions, permissions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.models import Answer, Event, IntentionCode, Question, Signup, SurveyVersion, Visit
from campaigns.sync import parse_time, sync_batch
from labourhub.api_v1.base import ApiViewSet
from labourhub.api_v1.idempotency import idempotent_post
from labourhub.api_v1.models import ApiToken, Scope
from labourhub.api_v1.problems import problem_response
from labourhub.osdi import resources
from labourhub.osdi.filters import DATE_OPERATORS, Field, as_datetime, filter_q
from labourhub.osdi.paging import MAX_PER_PAGE, Page, page_of
from labourhub.scoping import Action, get_for_user
from labourhub.services import audit_record
from voters.models import Elector, Marker, RegisterPublication


class HalJsonRenderer(JSONRenderer):
    media_type = "application/hal+json"


class OsdiView(ApiViewSet):
    schema = None  # see the module's docstring
    renderer_classes = [HalJsonRenderer, JSONRenderer]
    pagination_class = None
    filters: dict[str, Field] = {}

    def filtered(self, request: Request, queryset: Any) -> Any:
        expression = request.query_params.get("filter")
        if expression is None:
            return queryset
        return queryset.filter(filter_q(expression, self.filters))

    def audit(self, request: Request, action: str, scope_action: Action, obj: Any = None) -> None:
        audit_record(
            action=f"osdi.{action}",
            request=request,
            obj=obj,
            scope_action=None if obj is not None else scope_action,
            detail={"query": request.GET.urlencode(), "token": getattr(request.auth, "pk", None)},
        )


def collection(request: Request, rel: str, items: list[dict[str, Any]], page: Page) -> Response:
    links: dict[str, Any] = dict(page.links)
    selves = [item["_links"]["self"] for item in items if "self" in item["_links"]]
    if selves:
        links[rel] = selves
    links["curies"] = resources.CURIES
    return Response({**page.body, "_links": links, "_embedded": {rel: items}})


def whole(request: Request, rel: str, items: list[dict[str, Any]]) -> Response:
    """A small collection given whole (one page): its totals cost nothing."""
    body = {"per_page": max(len(items), 1), "page": 1, "total_pages": 1, "total_records": len(items)}
    return collection(
        request, rel, items, Page(rows=[], body=body, links={"self": {"href": request.build_absolute_uri()}})
    )


class SignedIn(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send a token: OSDI-API-Token: <token>.")
        return True


class EntryPoint(OsdiView):
    """The AEP: links to every collection; no rows, so any signed-in caller may read it."""

    permission_classes = [SignedIn]

    def list(self, request: Request) -> Response:
        def entry(name: str, title: str) -> dict[str, str]:
            return {**resources.link(request, name), "title": title}

        return Response(
            {
                "motd": "LabourHub's OSDI entry point: the register as people, canvass visits as canvasses.",
                "vendor_name": "LabourHub",
                "product_name": "LabourHub",
                "osdi_version": "1.2",
                "max_pagesize": MAX_PER_PAGE,
                "namespace": resources.NAMESPACE,
                "_links": {
                    "curies": resources.CURIES,
                    "self": entry("aep", "This API entry point"),
                    "osdi:people": entry("people", "The electors you may see"),
                    "osdi:canvasses": entry("canvasses", "Canvass visits and calls you may see"),
                    "osdi:questions": entry("questions", "Survey questions"),
                    "osdi:tags": entry("tags", "The register's franchise markers"),
                    "osdi:events": entry("events", "Events you organise"),
                },
            }
        )


def _postcode(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


PERSON_RELATED = ("polling_district__ward", "polling_district__constituency", "home")


def _publications(electors: list[Elector]) -> dict[int, Any]:
    """Each constituency's newest register publication date: one query a page."""
    ids = {e.polling_district.constituency_id for e in electors}
    rows = (
        RegisterPublication.objects.filter(constituency_id__in=ids)
        .order_by("constituency_id", "-published_on")
        .distinct("constituency_id")
        .values_list("constituency_id", "published_on")
    )
    return dict(rows)


class People(OsdiView):
    read_scope, read_action = Scope.ELECTORS_READ, Action.VIEW_VOTERS
    filters = {
        "modified_date": Field("updated_at", DATE_OPERATORS, as_datetime),
        "postal_code": Field("home__postcode", ("eq", "ne"), _postcode),
        "email_address": Field(None, ("eq",)),  # the register holds no email addresses: matches nobody
        "family_name": Field("surname__iexact"),
        "given_name": Field("first_names__iexact"),
    }

    def list(self, request: Request) -> Response:
        electors = Elector.objects.for_user(request.user, Action.VIEW_VOTERS).select_related(*PERSON_RELATED)
        page = page_of(request, self.filtered(request, electors))
        self.audit(request, "people", Action.VIEW_VOTERS)
        published = _publications(page.rows)
        return collection(
            request, "osdi:people", [resources.person(request, e, published) for e in page.rows], page
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        elector = get_for_user(Elector, request, pk, Action.VIEW_VOTERS, related=PERSON_RELATED)
        self.audit(request, "person", Action.VIEW_VOTERS, obj=elector)
        return Response(resources.person(request, elector, _publications([elector])))


def _visits(request: Request) -> Any:
    return Visit.objects.for_user(request.user, Action.ORGANISE).select_related("outcome", "campaign")


class Canvasses(OsdiView):
    """Read as the canvass reports (ORGANISE, contacts:read), as /api/v1/contacts/ is."""

    read_scope, read_action = Scope.CONTACTS_READ, Action.ORGANISE
    filters = {
        "modified_date": Field("received_at", DATE_OPERATORS, as_datetime),
        "action_date": Field("recorded_at", DATE_OPERATORS, as_datetime),
        "status_code": Field("outcome__code"),
    }

    def list(self, request: Request, pk: str | None = None) -> Response:
        visits = _visits(request)
        if pk is not None:
            visits = visits.filter(elector_id=int(pk))
        page = page_of(request, self.filtered(request, visits))
        self.audit(request, "canvasses", Action.ORGANISE)
        return collection(request, "osdi:canvasses", [resources.canvass(request, v) for v in page.rows], page)

    def retrieve(self, request: Request, pk: str) -> Response:
        visit = get_for_user(Visit, request, pk, Action.ORGANISE, related=("outcome", "campaign"))
        self.audit(request, "canvass", Action.ORGANISE, obj=visit)
        return Response(resources.canvass(request, visit))

    def answers(self, request: Request, pk: str) -> Response:
        visit = get_for_user(Visit, request, pk, Action.ORGANISE)
        self.audit(request, "canvass_answers", Action.ORGANISE, obj=visit)
        rows = Answer.objects.filter(visit=visit).select_related("question", "visit").order_by("pk")
        return whole(request, "osdi:answers", [resources.answer(request, row) for row in rows])


class RecordCanvass(OsdiView):
    """POST /people/<id>/record_canvass_helper/: one canvass of that elector, written by
    campaigns.sync.sync_batch (the pack or call list must be open to the owner; the contact-frequency
    rule, do not contact, tombstones and the audit log apply). `Idempotency-Key` honoured."""

    write_scope, write_action = Scope.CONTACTS_WRITE, Action.CANVASS

    def create(self, request: Request, pk: str) -> Response:
        if not str(pk).isdigit():
            raise Http404("No such person.")
        item = canvass_item(request, int(pk))
        return idempotent_post(request, lambda: self._record(request, item))

    def _record(self, request: Request, item: dict[str, Any]) -> Response:
        token = request.auth
        source = (
            f"OSDI client {token.pk}: {token.name}"[:30] if isinstance(token, ApiToken) else "OSDI client"
        )
        (result,) = sync_batch(user=request.user, items=[item], request=request, source=source)
        if result["status"] in ("recorded", "duplicate"):
            status = 201 if result["status"] == "recorded" else 200
            visits = Visit.objects.for_user(request.user, Action.CANVASS).select_related(
                "outcome", "campaign"
            )
            visit = visits.filter(pk=result["visit"]).first()
            if visit is None:  # let in by the late-entry rule after the grant ended: say only what it is
                ids = [
                    f"{resources.NAMESPACE}:visit-{result['visit']}",
                    f"{resources.NAMESPACE}:uuid-{result['uuid']}",
                ]
                return Response({"identifiers": ids, "origin_system": resources.ORIGIN}, status=status)
            return Response(resources.canvass(request, visit), status=status)
        code = 409 if result["status"] == "conflict" else 422
        return problem_response(
            code, result["message"], errors=[{"field": "canvass", "message": result["message"]}]
        )


UUID_IDENTIFIER = re.compile(r"^labourhub:uuid-(?P<uuid>[0-9a-fA-F-]{32,36})$")


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str | None = None) -> Any:
    value = body.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
        raise exceptions.ValidationError(
            {where or name: f"expected {getattr(kind, '__name__', 'a value')}, got {value!r}."}
        )
    return value


def canvass_item(request: Request, elector_pk: int) -> dict[str, Any]:
    """The record canvass helper's body as one campaigns.sync item; a 400 naming the field if bad."""
    body = request.data
    if not isinstance(body, dict):
        raise exceptions.ValidationError({"non_field_errors": "Send a JSON object."})
    given = _field(body, "canvass", dict) or {}
    for unsupported in ("add_tags", "add_tags_uri", "add_lists", "add_lists_uri"):
        if body.get(unsupported):
            raise exceptions.ValidationError(
                {unsupported: "not supported: tags here are the register's markers."}
            )
    pack = _field(body, "labourhub:pack", int)
    call_list = _field(body, "labourhub:call_list", int)
    if (pack is None) == (call_list is None):
        raise exceptions.ValidationError(
            {"labourhub:pack": "give exactly one of labourhub:pack and labourhub:call_list."}
        )
    status_code = _field(given, "status_code", str, "canvass.status_code") or ""
    success = _field(given, "success", bool, "canvass.success")
    if not status_code:
        if success is False:
            raise exceptions.ValidationError({"canvass.status_code": "say what happened, e.g. not_in."})
        status_code = "spoke"  # OSDI: an empty status_code means the contact succeeded
    action_date = given.get("action_date")
    recorded_at = parse_time(action_date) if action_date is not None else timezone.now()
    if recorded_at is None:
        raise exceptions.ValidationError({"canvass.action_date": f"{action_date!r} is not a date and time."})
    client_uuid = str(uuid.uuid4())
    for identifier in _field(given, "identifiers", list, "canvass.identifiers") or []:
        found = UUID_IDENTIFIER.match(str(identifier))
        if found:
            client_uuid = found["uuid"]
    item: dict[str, Any] = {
        "pack" if pack is not None else "call_list": pack if pack is not None else call_list,
        "elector": elector_pk,
        "outcome": status_code,
        "recorded_at": recorded_at.isoformat(),
        "uuid": client_uuid,
        "notes": _field(body, "labourhub:notes", str) or "",
    }
    version, answers = _answers(request, _field(body, "add_questions_responses_uri", list) or [])
    if answers:
        item["answers"], item["survey_version"] = answers, version
    return item


def _question_pk(href: Any, where: str) -> int:
    try:
        match = resolve(urlsplit(str(href)).path)
    except Resolver404:
        match = None
    if match is None or match.url_name != "question" or match.namespace != "osdi":
        raise exceptions.ValidationError({where: f"{href!r} is not a question of this API."})
    return int(match.kwargs["pk"])


def _answers(request: Request, given: list[Any]) -> tuple[int | None, dict[str, Any]]:
    """OSDI question responses as sync's {question key: value}, and their one survey version."""
    wanted = {}
    for position, response in enumerate(given):
        where = f"add_questions_responses_uri[{position}]"
        if not isinstance(response, dict):
            raise exceptions.ValidationError(
                {where: "expected an object with question and responses or value."}
            )
        wanted[_question_pk(response.get("question"), f"{where}.question")] = (where, response)
    if not wanted:
        return None, {}
    versions = SurveyVersion.objects.for_user(request.user, Action.CANVASS)
    questions = {q.pk: q for q in Question.objects.filter(pk__in=wanted, version__in=versions)}
    answers, version = {}, None
    for pk, (where, response) in wanted.items():
        question = questions.get(pk)
        if question is None:
            raise exceptions.ValidationError({f"{where}.question": f"question {pk} is not one you may ask."})
        if version not in (None, question.version_id):
            raise exceptions.ValidationError({where: "every question must be of one survey version."})
        version = question.version_id
        answers[question.key] = _answer_value(question, response, where)
    return version, answers


def _answer_value(question: Question, response: dict[str, Any], where: str) -> Any:
    responses = response.get("responses") or []
    value = response.get("value")
    if not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
        raise exceptions.ValidationError({f"{where}.responses": "expected a list of response keys."})
    if value is not None and not isinstance(value, str):
        raise exceptions.ValidationError({f"{where}.value": "expected text."})
    kind = question.kind
    if kind == Question.Kind.TEXT:
        return value or ""
    if kind == Question.Kind.ISSUES:
        return {"codes": responses, "other": value or ""}
    if len(responses) != 1:
        raise exceptions.ValidationError(
            {f"{where}.responses": f"{question.key} takes exactly one response."}
        )
    (chosen,) = responses
    if kind == Question.Kind.INTENTION:
        return {"code": chosen, "strength": value if value in ("hard", "soft") else ""}
    if kind == Question.Kind.LIKELIHOOD:
        if not chosen.isdigit():
            raise exceptions.ValidationError({f"{where}.responses": "give a whole number from 0 to 10."})
        return int(chosen)
    if chosen not in ("yes", "no"):
        raise exceptions.ValidationError({f"{where}.responses": "give yes or no."})
    return chosen == "yes"


class Questions(OsdiView):
    """The questions of surveys the owner may canvass for (what the phone page asks)."""

    read_scope, read_action = Scope.CAMPAIGNS_READ, Action.CANVASS
    filters = {"modified_date": Field("version__created_at", DATE_OPERATORS, as_datetime)}

    def _questions(self, request: Request) -> Any:
        versions = SurveyVersion.objects.for_user(request.user, Action.CANVASS)
        return Question.objects.filter(version__in=versions).select_related("version__survey__campaign")

    def _intentions(self) -> list[tuple[str, str]]:
        return list(IntentionCode.objects.order_by("position", "code").values_list("code", "label"))

    def list(self, request: Request) -> Response:
        page = page_of(request, self.filtered(request, self._questions(request)))
        self.audit(request, "questions", Action.CANVASS)
        intentions = self._intentions()
        return collection(
            request, "osdi:questions", [resources.question(request, q, intentions) for q in page.rows], page
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        question = self._questions(request).filter(pk=int(pk)).first() if str(pk).isdigit() else None
        if question is None:
            raise Http404(f"No question {pk!r} here.")
        return Response(resources.question(request, question, self._intentions()))


class Tags(OsdiView):
    """The register's franchise markers as tags; an elector's markers as their taggings."""

    read_scope, read_action = Scope.ELECTORS_READ, Action.VIEW_VOTERS

    def list(self, request: Request) -> Response:
        return whole(request, "osdi:tags", [resources.tag(request, marker) for marker in Marker])

    def retrieve(self, request: Request, code: str) -> Response:
        if code not in Marker.values:
            raise Http404(f"No tag {code!r}: tags are the register's markers ({', '.join(Marker.values)}).")
        return Response(resources.tag(request, Marker(code)))

    def taggings(self, request: Request, pk: str) -> Response:
        elector = get_for_user(Elector, request, pk, Action.VIEW_VOTERS)
        self.audit(request, "taggings", Action.VIEW_VOTERS, obj=elector)
        letters = [letter for letter in elector.markers if letter in Marker.values]
        return whole(
            request, "osdi:taggings", [resources.tagging(request, elector, letter) for letter in letters]
        )


def _events(request: Request) -> Any:
    return Event.objects.for_user(request.user, Action.ORGANISE).annotate(
        first_start=Min("shifts__starts_at"), last_end=Max("shifts__ends_at")
    )


class Events(OsdiView):
    """Events and their sign-ups, read as the events pages are (ORGANISE). /api/v1/ has no events
    scope yet: campaigns:read stands for it."""

    read_scope, read_action = Scope.CAMPAIGNS_READ, Action.ORGANISE
    filters = {"modified_date": Field("created_at", DATE_OPERATORS, as_datetime)}

    def list(self, request: Request) -> Response:
        page = page_of(request, self.filtered(request, _events(request)))
        self.audit(request, "events", Action.ORGANISE)
        return collection(request, "osdi:events", [resources.event(request, e) for e in page.rows], page)

    def retrieve(self, request: Request, pk: str) -> Response:
        event = _events(request).filter(pk=int(pk)).first() if str(pk).isdigit() else None
        if event is None:
            raise Http404(f"No event {pk!r} here.")
        self.audit(request, "event", Action.ORGANISE, obj=event)
        return Response(resources.event(request, event))

    def attendances(self, request: Request, pk: str) -> Response:
        event = get_for_user(Event, request, pk, Action.ORGANISE)
        signups = Signup.objects.for_user(request.user, Action.ORGANISE).filter(shift__event=event)
        page = page_of(request, signups.select_related("contact", "shift"))
        self.audit(request, "attendances", Action.ORGANISE, obj=event)
        return collection(
            request, "osdi:attendances", [resources.attendance(request, s) for s in page.rows], page
        )
