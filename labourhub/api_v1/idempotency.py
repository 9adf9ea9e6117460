"""`Idempotency-Key` on POST: a retried write applies once.

The first request with a key inserts its row and holds it (the unique index) until its transaction
commits with the answer; a concurrent repeat waits on that index, then reads the stored answer and
gets it again (`Idempotent-Replayed: true`). The same key with a different body is refused (422).
Keys are per token (per user for a session) and kept IDEMPOTENCY_KEEP_HOURS."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from labourhub.api_v1.models import ApiToken, IdempotentRequest

MAX_KEY = 200


class KeyReused(exceptions.ValidationError):
    status_code = 422


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent_post(request: Request, handle: Callable[[], Response]) -> Response:
    """Run `handle` once per Idempotency-Key (or every time, when the request has none)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return handle()
    if not key or len(key) > MAX_KEY:
        raise exceptions.ValidationError({"Idempotency-Key": f"Give a key of 1 to {MAX_KEY} characters."})
    token = request.auth if isinstance(request.auth, ApiToken) else None
    digest = _request_hash(request)
    with transaction.atomic():
        table = IdempotentRequest._meta.db_table
        with connection.cursor() as cursor:
            # ON CONFLICT waits for a concurrent first request with this key to commit or roll back.
            cursor.execute(
                f"INSERT INTO {table} (user_id, token_id, key, request_hash, created_at) "  # noqa: S608  (constant table name)
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                [request.user.pk, token.pk if token else None, key, digest, timezone.now()],
            )
            inserted = cursor.fetchone()
        if inserted is None:
            stored = IdempotentRequest.objects.get(user=request.user, token=token, key=key)
            if stored.request_hash != digest:
                raise KeyReused(
                    {"Idempotency-Key": "This key was used for a different request; use a new key."}
                )
            replay = Response(stored.response, status=stored.status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        response = handle()
        with connection.cursor() as cursor:  # constant text, as the INSERT: nothing for Django to compile
            cursor.execute(
                f"UPDATE {table} SET status = %s, response = %s WHERE id = %s",  # noqa: S608  (constant table name)
                [response.status_code, Jsonb(response.data), inserted[0]],
            )
        return response


def idempotent_requests_forget() -> int:
    """Delete stored answers older than IDEMPOTENCY_KEEP_HOURS; the number deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
