"""Our rows as OSDI resources (plain dicts, HAL+JSON): what maps to what is written here once.

- Person: an elector on the register the caller may see. `identifiers`: `labourhub:elector-<id>` (our
  id, theirs for good) and `labourhub:elector-<publication date>-<polling district>-<number>[.<suffix>]`
  (the number as printed on the constituency's newest register publication). UK fields go under
  `custom_fields`, each key prefixed `labourhub:` (OSDI lets servers prefix custom fields).
- Canvass: a visit or call (campaigns.Visit); `status_code` is our outcome code, `success` whether
  someone answered. The canvasser is a user of ours, not a person on the register: no link.
- Question / Answer: a survey version's question and a visit's answer to it.
- Tag / Tagging: the register's franchise markers (F, L, G, ...) and an elector carrying one.
- Event / Attendance: an event and a sign-up to one of its shifts (attendance as checked in)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from campaigns.models import Answer, Event, Question, Signup, Visit
from voters.models import Elector, Marker

ORIGIN = "LabourHub"
NAMESPACE = "labourhub"
DOCS = "https://opensupporter.github.io/osdi-docs/{rel}"
CURIES = [{"name": "osdi", "href": DOCS, "templated": True}]


def link(request: Request, name: str, **kwargs: Any) -> dict[str, str]:
    return {"href": request.build_absolute_uri(reverse(f"osdi:{name}", kwargs=kwargs or None))}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def person(request: Request, elector: Elector, publications: dict[int, Any]) -> dict[str, Any]:
    district = elector.polling_district
    number = f"{elector.elector_number}" + (f".{elector.elector_suffix}" if elector.elector_suffix else "")
    published = publications.get(district.constituency_id)
    identifiers = [f"{NAMESPACE}:elector-{elector.pk}"]
    if published is not None:
        identifiers.append(f"{NAMESPACE}:elector-{published.isoformat()}-{district.code}-{number}")
    home = elector.home
    addresses = []
    if home is not None:
        address: dict[str, Any] = {
            "primary": True,
            "address_type": "Home",
            "address_lines": [line.strip() for line in home.address.split(",") if line.strip()],
            "postal_code": home.postcode_display,
            "country": "GB",
        }
        if home.latitude is not None and home.longitude is not None:
            address["location"] = {"latitude": home.latitude, "longitude": home.longitude}
        addresses.append(address)
    ward = district.ward
    me = {"pk": elector.pk}
    return {
        "identifiers": identifiers,
        "origin_system": ORIGIN,
        "modified_date": _iso(elector.updated_at),
        "honorific_prefix": elector.title,
        "given_name": elector.first_names,
        "family_name": elector.surname,
        "postal_addresses": addresses,
        "email_addresses": [],  # the register holds none
        "custom_fields": {
            f"{NAMESPACE}:elector_number": f"{district.code}-{number}",
            f"{NAMESPACE}:polling_district": district.code,
            f"{NAMESPACE}:ward": ward.name if ward else "",
            f"{NAMESPACE}:ward_gss": ward.code if ward else "",
            f"{NAMESPACE}:constituency_gss": district.constituency.gss_code,
            f"{NAMESPACE}:register_publication": published.isoformat() if published else "",
            f"{NAMESPACE}:markers": elector.markers,
            f"{NAMESPACE}:on_register": "true" if elector.on_register else "false",
            f"{NAMESPACE}:opted_out": "true" if elector.opted_out else "false",
            f"{NAMESPACE}:do_not_contact": "true" if elector.do_not_contact else "false",
        },
        "_links": {
            "self": link(request, "person", **me),
            "osdi:canvasses": link(request, "person-canvasses", **me),
            "osdi:taggings": link(request, "person-taggings", **me),
            "osdi:record_canvass_helper": link(request, "record-canvass", **me),
        },
    }


CONTACT_TYPES = {"door": "in-person", "phone": "phone"}


def canvass(request: Request, visit: Visit) -> dict[str, Any]:
    return {
        "identifiers": [f"{NAMESPACE}:visit-{visit.pk}", f"{NAMESPACE}:uuid-{visit.client_uuid}"],
        "origin_system": ORIGIN,
        "created_date": _iso(visit.received_at),
        "modified_date": _iso(visit.received_at),
        "action_date": _iso(visit.recorded_at),
        "contact_type": CONTACT_TYPES.get(visit.channel, visit.channel),
        "input_type": "paper" if Visit.Flag.PAPER in (visit.flags or []) else "mobile",
        "success": visit.outcome.spoke,
        "status_code": visit.outcome.code,
        "custom_fields": {
            f"{NAMESPACE}:campaign": visit.campaign.name,
            f"{NAMESPACE}:voided": "true" if visit.voided else "false",
        },
        "_links": {
            "self": link(request, "canvass", pk=visit.pk),
            "osdi:target": link(request, "person", pk=visit.elector_id),
            "osdi:answers": link(request, "canvass-answers", pk=visit.pk),
        },
    }


QUESTION_TYPES = {
    Question.Kind.INTENTION: "SingleChoice",
    Question.Kind.LIKELIHOOD: "SingleChoice",
    Question.Kind.ISSUES: "MultiChoice",
    Question.Kind.YES_NO: "SingleChoice",
    Question.Kind.TEXT: "Paragraph",
}


def question_responses(question: Question, intentions: list[tuple[str, str]]) -> list[dict[str, str]]:
    if question.kind == Question.Kind.INTENTION:
        pairs = intentions
    elif question.kind == Question.Kind.LIKELIHOOD:
        pairs = [(str(n), str(n)) for n in range(11)]
    elif question.kind == Question.Kind.ISSUES:
        pairs = [(code, label) for code, label in question.options]
    elif question.kind == Question.Kind.YES_NO:
        pairs = [("yes", "Yes"), ("no", "No")]
    else:
        pairs = []
    return [{"key": key, "name": name, "title": name} for key, name in pairs]


def question(request: Request, row: Question, intentions: list[tuple[str, str]]) -> dict[str, Any]:
    version = row.version
    return {
        "identifiers": [f"{NAMESPACE}:question-{row.pk}"],
        "origin_system": ORIGIN,
        "created_date": _iso(version.created_at),
        "modified_date": _iso(version.created_at),  # a version is never edited: a new one is made
        "name": row.key,
        "title": row.text,
        "question_type": QUESTION_TYPES.get(row.kind, "Paragraph"),
        "responses": question_responses(row, intentions),
        "custom_fields": {
            f"{NAMESPACE}:campaign": version.survey.campaign.name,
            f"{NAMESPACE}:survey": version.survey.name,
            f"{NAMESPACE}:survey_version": str(version.pk),
            f"{NAMESPACE}:kind": row.kind,
        },
        "_links": {"self": link(request, "question", pk=row.pk)},
    }


def answer_parts(row: Answer) -> dict[str, Any]:
    """`value` and `responses` of an answer, by question kind (the inverse of `answers_for_sync`)."""
    value, kind = row.value, row.question.kind
    if kind == Question.Kind.INTENTION and isinstance(value, dict):
        return {"responses": [value.get("code", "")], "value": value.get("strength") or ""}
    if kind == Question.Kind.ISSUES and isinstance(value, dict):
        return {"responses": list(value.get("codes", [])), "value": value.get("other") or ""}
    if kind == Question.Kind.YES_NO:
        return {"responses": ["yes" if value else "no"]}
    if kind == Question.Kind.LIKELIHOOD:
        return {"responses": [str(value)]}
    return {"value": str(value)}


def answer(request: Request, row: Answer) -> dict[str, Any]:
    visit = row.visit
    return {
        "identifiers": [f"{NAMESPACE}:answer-{row.pk}"],
        "origin_system": ORIGIN,
        "action_date": _iso(visit.recorded_at),
        **answer_parts(row),
        "_links": {
            "osdi:person": link(request, "person", pk=visit.elector_id),
            "osdi:question": link(request, "question", pk=row.question_id),
            "osdi:canvass": link(request, "canvass", pk=visit.pk),
        },
    }


def tag(request: Request, marker: Marker) -> dict[str, Any]:
    return {
        "identifiers": [f"{NAMESPACE}:marker-{marker.value}"],
        "origin_system": ORIGIN,
        "name": marker.value,
        "description": marker.label,
        "_links": {"self": link(request, "tag", code=marker.value)},
    }


def tagging(request: Request, elector: Elector, letter: str) -> dict[str, Any]:
    return {
        "identifiers": [f"{NAMESPACE}:marker-{letter}-elector-{elector.pk}"],
        "origin_system": ORIGIN,
        "item_type": "osdi:person",
        "_links": {
            "osdi:tag": link(request, "tag", code=letter),
            "osdi:person": link(request, "person", pk=elector.pk),
        },
    }


def event(request: Request, row: Event) -> dict[str, Any]:
    return {
        "identifiers": [f"{NAMESPACE}:event-{row.pk}"],
        "origin_system": ORIGIN,
        "created_date": _iso(getattr(row, "created_at", None)),
        "title": row.title,
        "name": row.title,
        "description": row.description,
        "status": "cancelled" if row.status == Event.Status.CANCELLED else "confirmed",
        "start_date": _iso(getattr(row, "first_start", None)),
        "end_date": _iso(getattr(row, "last_end", None)),
        "location": {"venue": row.meeting_area},
        "capacity": row.capacity,
        "visibility": "public" if row.visibility == Event.Visibility.PUBLIC else "private",
        "custom_fields": {f"{NAMESPACE}:kind": row.kind},
        "_links": {
            "self": link(request, "event", pk=row.pk),
            "osdi:attendances": link(request, "event-attendances", pk=row.pk),
        },
    }


ATTENDANCE_STATUS = {
    Signup.Status.REQUESTED: "tentative",
    Signup.Status.BOOKED: "accepted",
    Signup.Status.WAITING: "tentative",
    Signup.Status.DECLINED: "declined",
    Signup.Status.CANCELLED: "cancelled",
}


def attendance(request: Request, row: Signup) -> dict[str, Any]:
    contact = row.contact
    return {
        "identifiers": [f"{NAMESPACE}:signup-{row.pk}"],
        "origin_system": ORIGIN,
        "created_date": _iso(row.created_at),
        "modified_date": _iso(row.status_at),
        "status": ATTENDANCE_STATUS.get(row.status, row.status),
        "attended": row.attendance in (Signup.Attendance.ATTENDED, Signup.Attendance.WALK_IN)
        if row.attendance
        else None,
        # Who signed up: an event contact (name and email), not an elector on the register.
        "person": {
            "email_addresses": [{"primary": True, "address": contact.email}],
            "custom_fields": {f"{NAMESPACE}:name": contact.name},
        },
        "custom_fields": {f"{NAMESPACE}:shift": str(row.shift_id)},
        "_links": {"osdi:event": link(request, "event", pk=row.shift.event_id)},
    }
