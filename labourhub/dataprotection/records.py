"""Records of processing (UK GDPR article 30), generated from the code so that they cannot drift.

Each app declares, in its own `<app>/privacy_records.py`, what its models hold and why:

    DEFAULTS = {"purpose": ..., "lawful_basis": ..., "source": ..., "retention": ..., "recipients": ...}
    PROCESSING = {"Elector": {"data": "name, address, elector number, ...", "source": "..."}, ...}
    NOT_PERSONAL = {"Survey": "a survey's questions: no person"}

An entry names the model within the app; it is merged over the app's DEFAULTS. Who can see each
kind of data comes from the role table (labourhub.scoping.ROLES_FOR of the model's scope_action),
or from the entry's "who" for a model that is not scoped to a CLP. Every ScopedModel must be declared
(`undeclared()`; tests/dataprotection/test_records.py fails on a new table nobody declared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from labourhub.apps import app_modules
from labourhub.models import Role
from labourhub.scoping import ROLES_FOR, ScopedModel

FIELDS = ("data", "purpose", "lawful_basis", "source", "retention", "recipients")


@dataclass(frozen=True)
class Record:
    label: str  # app_label.ModelName
    name: str  # the model's verbose name, plural
    app: str  # the app's verbose name
    data: str
    purpose: str
    lawful_basis: str
    source: str
    retention: str
    recipients: str
    who: str


def _declared() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(label -> merged declaration, label -> why it holds no personal data), from every app."""
    processing: dict[str, dict[str, Any]] = {}
    not_personal: dict[str, str] = {}
    for module in app_modules("privacy_records"):
        app_label = module.__name__.split(".")[0]
        defaults = getattr(module, "DEFAULTS", {})
        for name, entry in getattr(module, "PROCESSING", {}).items():
            processing[f"{app_label}.{name}"] = {**defaults, **entry}
        for name, reason in getattr(module, "NOT_PERSONAL", {}).items():
            not_personal[f"{app_label}.{name}"] = reason
    return processing, not_personal


def must_declare() -> list[type[models.Model]]:
    """The models whose rows are personal data by construction: every ScopedModel and the User."""
    found = [m for m in apps.get_models() if issubclass(m, ScopedModel)]
    return [apps.get_model("labourhub", "User"), *found]


def undeclared(declared: set[str] | None = None) -> list[str]:
    """Labels of models that must be declared and are not (in PROCESSING or NOT_PERSONAL)."""
    if declared is None:
        processing, not_personal = _declared()
        declared = set(processing) | set(not_personal)
    return sorted(m._meta.label for m in must_declare() if m._meta.label not in declared)


def problems() -> list[str]:
    """Declarations that name no model, or miss a field."""
    processing, not_personal = _declared()
    found = []
    for label in [*processing, *not_personal]:
        try:
            apps.get_model(label)
        except LookupError:
            found.append(f"{label}: no such model")
    for label, entry in processing.items():
        missing = [name for name in FIELDS if not str(entry.get(name, "")).strip()]
        if missing:
            found.append(f"{label}: says nothing of {', '.join(missing)}")
    return found


def who_can_see(model: type[models.Model], entry: dict[str, Any]) -> str:
    """From the role table: the roles that may do the model's scope_action, in their area."""
    if entry.get("who"):
        return str(entry["who"])
    if not issubclass(model, ScopedModel):
        return "The platform operator"
    roles = sorted(ROLES_FOR[model.scope_action], key=list(Role).index)
    where = [
        f"{Role(role).label} ({'their region' if role == Role.REGIONAL_STAFF else 'their CLP'})"
        for role in roles
    ]
    return ", ".join(where)


def processing_records() -> list[Record]:
    """One record per declared kind of personal data, in the apps' order."""
    processing, _ = _declared()
    records = []
    for label, entry in processing.items():
        model = apps.get_model(label)
        records.append(
            Record(
                label=label,
                name=str(model._meta.verbose_name_plural).capitalize(),
                app=str(apps.get_app_config(model._meta.app_label).verbose_name),
                who=who_can_see(model, entry),
                **{name: str(entry.get(name, "")) for name in FIELDS},
            )
        )
    return records
