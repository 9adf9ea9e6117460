"""Errors of /api/v1/ as RFC 9457 problem details (`application/problem+json`): a title, the
status, a plain-words detail and, for a bad field, `errors` naming each field and what is wrong."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

PROBLEM = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
}


def _field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    found = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            field = f"{prefix}.{name}" if prefix else str(name)
            found += _field_errors(value, field)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            found += [{"field": prefix or "non_field_errors", "message": str(item)} for item in detail]
        else:
            for position, item in enumerate(detail):
                found += _field_errors(item, f"{prefix}[{position}]")
    else:
        found.append({"field": prefix or "non_field_errors", "message": str(detail)})
    return found


def problem_response(
    status_code: int, detail: str, *, errors: list | None = None, headers: dict | None = None
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers, content_type=PROBLEM)
    return response


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: Django's 500 and its log
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        named = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(
            exc.status_code, f"Check these fields: {named}", errors=errors, headers=headers
        )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem_response(exc.status_code, str(detail), headers=headers)
