"""/api/v1/docs/: the API's reference, rendered by us from the generated OpenAPI schema in the site's
own page (base.html), so it is readable with a screen reader and on a phone. Swagger UI, as the
sidecar ships it, failed axe (contrast, nested interactive controls, target size); this page is
checked by the every-page axe walk like any other. The schema itself stays at /api/v1/schema/ for
tools that generate clients."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

from labourhub.api import v1_router

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    ref: str = ""  # the anchor of the data type it refers to, if any
    required: bool = False
    where: str = ""
    description: str = ""


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    description: str
    needs: str
    parameters: list[Field] = field(default_factory=list)
    body: Field | None = None
    answers: list[Field] = field(default_factory=list)


@dataclass
class DataType:
    name: str
    anchor: str
    description: str
    fields: list[Field]


def _text(description: str) -> str:
    """A docstring's hard-wrapped lines joined; its paragraphs kept (for `linebreaks`)."""
    return "\n\n".join(" ".join(part.split()) for part in description.split("\n\n"))


def _anchor(name: str) -> str:
    return "type-" + name


def _type(spec: dict[str, Any]) -> tuple[str, str]:
    """(how a schema fragment reads, e.g. "list of Question", the anchor of the type it names)."""
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return name, _anchor(name)
    if "allOf" in spec and len(spec["allOf"]) == 1:
        return _type(spec["allOf"][0])
    if spec.get("type") == "array":
        inner, ref = _type(spec.get("items", {}))
        return f"list of {inner}", ref
    kind = spec.get("type", "any value")
    if spec.get("enum"):
        kind = "one of " + ", ".join(str(value) for value in spec["enum"] if value not in ("", None))
    elif spec.get("format"):
        kind = f"{kind} ({spec['format']})"
    if spec.get("nullable"):
        kind += " or null"
    return kind, ""


def _fields(spec: dict[str, Any]) -> list[Field]:
    required = set(spec.get("required", []))
    fields = []
    for name, prop in spec.get("properties", {}).items():
        kind, ref = _type(prop)
        fields.append(Field(name, kind, ref, name in required, description=prop.get("description", "")))
    return fields


def _needs() -> dict[str, dict[str, str]]:
    """{path prefix: {method: what a token needs}} from the viewsets' declared scopes and Actions."""
    needs = {}
    for prefix, viewset, _ in v1_router.registry:
        per_method = {}
        for method in METHODS:
            scope, action = viewset.scope_and_action(viewset, method != "get")
            if scope is not None and action is not None:
                per_method[method] = (
                    f"the scope {scope.value}, and a role that allows: {action.label.lower()}"
                )
        needs[f"/api/v1/{prefix}/"] = per_method
    return needs


@functools.cache
def reference() -> tuple[dict[str, Any], list[Operation], list[DataType]]:
    """The schema's info, its operations and its data types, read once per process."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    needs = _needs()
    operations = []
    for path, item in schema["paths"].items():
        prefix = next((p for p in needs if path.startswith(p)), "")
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            operation = Operation(
                anchor=spec["operationId"].replace("_", "-"),
                method=method.upper(),
                path=path,
                description=_text(spec.get("description", "")),
                needs=needs.get(prefix, {}).get(method, "a signed-in user"),
            )
            for parameter in spec.get("parameters", []):
                kind, ref = _type(parameter.get("schema", {}))
                operation.parameters.append(
                    Field(
                        parameter["name"],
                        kind,
                        ref,
                        parameter.get("required", False),
                        where={"query": "query string", "path": "path", "header": "header"}.get(
                            parameter["in"], parameter["in"]
                        ),
                        description=parameter.get("description", ""),
                    )
                )
            body = spec.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                kind, ref = _type(body["schema"])
                operation.body = Field("body", kind, ref, True)
            for status, answer in spec.get("responses", {}).items():
                content = answer.get("content", {})
                kind, ref = _type(next(iter(content.values()))["schema"]) if content else ("no body", "")
                operation.answers.append(Field(status, kind, ref, description=answer.get("description", "")))
            operations.append(operation)
    types = [
        DataType(name, _anchor(name), _text(spec.get("description", "")), _fields(spec))
        for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items())
    ]
    return schema["info"], operations, types


def api_docs(request: HttpRequest) -> HttpResponse:
    info, operations, types = reference()
    return render(
        request, "labourhub/api_docs.html", {"info": info, "operations": operations, "types": types}
    )
