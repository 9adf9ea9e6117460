"""Model instances from a constant SELECT, for hot paths that keep their SQL text per process instead
of having Django build and compile a queryset on every request (issue 18: an API write's Python was
mostly the ORM compiling). `columns(Model, alias)` is the select list of a model's concrete columns;
`instances(row, *models)` turns one fetched row holding each model's columns in turn into instances,
with each field's own conversion from the database (a JSONField's text is decoded, as the ORM does).
`unprepared_cursor()` runs a statement planned for its values at every run, never prepared (below).

Only SQL text is built here, from our models' column names; callers pass every value as a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import Model

_DB = "default"


def columns(model: type[Model], alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


@cache
def _layout(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, Any]]]:
    fields = model._meta.concrete_fields
    converters = [
        (index, convert, field)
        for index, field in enumerate(fields)
        for convert in field.get_db_converters(connection)
    ]
    return [field.attname for field in fields], converters


def fetch_one(sql: str, params: Sequence[Any]) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def instances(row: Sequence[Any], *models: type[Model]) -> list[Any]:
    """One instance of each model from `row` (each model's `columns` in turn), as loaded from the db."""
    found, start = [], 0
    for model in models:
        names, converters = _layout(model)
        values = list(row[start : start + len(names)])
        for index, convert, field in converters:
            values[index] = convert(values[index], field, connection)
        found.append(model.from_db(_DB, names, values))
        start += len(names)
    return found


class _UnpreparedCursor(ServerBindingCursor):
    """Server-side binding, never prepared."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=False, binary=binary)


def unprepared_cursor():
    """Django's cursor (query logging, execute wrappers, error wrapping) whose statements are never
    prepared, whatever DATABASE_PREPARE_THRESHOLD: an unnamed statement, planned for the values at
    hand at every run. For a statement whose generic plan (the one Postgres may keep for a prepared
    statement after five runs, blind to the values) is much worse than the plan for its values
    (gotv/knockup_sql.py, gotv/board_sql.py)."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_UnpreparedCursor(connection.connection))
