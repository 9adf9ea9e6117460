"""OSDI's OData subset for `?filter=`: `<field> <op> <literal>` joined by `and`.

Literals are single-quoted strings ('' for a quote inside) or whole numbers. Each collection names the
fields it filters on and how (a `Field`): anything else (an unknown field, an operator the field does
not take, `or`, a malformed literal or expression) is a 400 problem naming `filter` and the part that
is wrong, never a 500 and never a silently ignored condition."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

OPERATORS = {"eq": "", "ne": "", "gt": "__gt", "ge": "__gte", "lt": "__lt", "le": "__lte"}
TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))")
MAX_FILTER = 500


@dataclass(frozen=True)
class Field:
    """How one OSDI field filters: the model lookup, the operators it takes, and how a literal becomes
    a value (raising ValueError with what is wrong). `lookup=None`: a field we hold no value for
    (e.g. email_address on the register): `eq` matches nothing."""

    lookup: str | None
    operators: tuple[str, ...] = ("eq", "ne")
    convert: Callable[[str], object] = str


def as_datetime(raw: str) -> object:
    try:
        when = parse_datetime(raw)
    except ValueError:
        when = None
    if when is None:
        raise ValueError(f"{raw!r} is not a date and time, e.g. '2026-11-01T00:00:00Z'")
    return when if timezone.is_aware(when) else timezone.make_aware(when)


DATE_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")


def _refuse(message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({"filter": message})


def _tokens(expression: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while position < len(expression):
        if not expression[position:].strip():
            break
        match = TOKEN.match(expression, position)
        if match is None:
            raise _refuse(f"cannot read {expression[position:].strip()!r} (at character {position + 1}).")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def filter_q(expression: str, fields: dict[str, Field]) -> Q:
    """The Q for an OSDI filter expression over `fields`; a ValidationError on `filter` otherwise."""
    if len(expression) > MAX_FILTER:
        raise _refuse(f"give at most {MAX_FILTER} characters.")
    tokens = _tokens(expression)
    if not tokens:
        raise _refuse("the filter is empty.")
    names = ", ".join(sorted(fields))
    result = Q()
    position = 0
    while True:
        part = tokens[position : position + 3]
        shown = " ".join(value for _, value in part)
        if len(part) < 3:
            raise _refuse(f"{shown!r} is not a whole condition: write <field> <operator> <value>.")
        (kind, name), (_, operator), (literal_kind, literal) = part
        if kind != "word":
            raise _refuse(f"{shown!r}: a condition starts with a field name.")
        field = fields.get(name)
        if field is None:
            raise _refuse(f"{name!r} is not a field this collection filters on (it takes: {names}).")
        if operator not in OPERATORS:
            raise _refuse(f"{operator!r} in {shown!r} is not an operator (eq, ne, gt, ge, lt, le).")
        if operator not in field.operators:
            raise _refuse(f"{name} takes {', '.join(field.operators)}, not {operator}.")
        if literal_kind == "word":
            raise _refuse(f"{literal!r} in {shown!r}: quote text values, e.g. {name} {operator} 'value'.")
        raw = literal[1:-1].replace("''", "'") if literal_kind == "string" else literal
        try:
            value = field.convert(raw)
        except ValueError as exc:
            raise _refuse(f"{name}: {exc}.") from None
        if field.lookup is None:
            condition = Q(pk__in=[])
        else:
            condition = Q(**{f"{field.lookup}{OPERATORS[operator]}": value})
        result &= ~condition if operator == "ne" else condition
        position += 3
        if position == len(tokens):
            return result
        joiner = tokens[position][1]
        if joiner == "or":
            raise _refuse("'or' is not supported here: make one call per alternative.")
        if joiner != "and":
            raise _refuse(f"expected 'and' after {shown!r}, found {joiner!r}.")
        position += 1
        if position == len(tokens):
            raise _refuse("the filter ends with 'and'.")
