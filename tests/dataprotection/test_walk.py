"""The scoping walker (tests/test_scoping_walker.py) on the data protection URLs alone: every role
of Otherton, regional staff of another region and a signed-out visitor try each page (GET, GET with
Anytown's ids, POST with the owner's own form) and see nothing of Anytown's and change nothing; with
scoping switched off the same walk finds the leaks. The whole walker covers these URLs too; this
keeps the check quick enough to run on its own."""

import pytest

from tests.test_scoping_walker import (  # noqa: F401 (fixtures)
    _fingerprint_sql,
    _owners,
    _plan,
    _query_ids,
    _registry,
    _without_scoping,
    eastland,
    other_region_officer,
    owners_check,
    quiet_request_log,
    walk_as,
    walked_personas,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dp_walker(anytown, otherton, westland, other_region_officer, quiet_request_log):  # noqa: F811
    registry = _registry()
    registry.urls = {name: kw for name, kw in registry.urls.items() if name.startswith("dataprotection:")}
    plan, _ = _plan(anytown, registry)
    plan = [planned for planned in plan if planned.name.startswith("dataprotection:")]
    fingerprint = _fingerprint_sql(anytown)
    owner_problems, _closed = owners_check(plan, registry, _owners(anytown, westland), fingerprint)
    for planned in plan:
        planned.query = {**_query_ids(anytown), **planned.query}
    return {
        "plan": plan,
        "owner_problems": owner_problems,
        "personas": walked_personas(otherton, other_region_officer),
        "fingerprint": fingerprint,
    }


def test_nobody_else_sees_or_changes_anytowns_data_protection_records(dp_walker):
    assert len(dp_walker["plan"]) == 12
    assert not dp_walker["owner_problems"], "\n".join(dp_walker["owner_problems"])
    problems = []
    for persona in dp_walker["personas"]:
        problems += walk_as(persona, dp_walker["plan"], dp_walker["fingerprint"]).problems
    assert not problems, "\n".join(problems)


def test_the_walk_finds_the_leaks_when_scoping_is_off(dp_walker, monkeypatch):
    _without_scoping(monkeypatch)
    blind = []
    for persona in dp_walker["personas"]:
        if persona.user is None or persona.token:  # token personas walk /api/v1/ only: none here
            continue
        if not walk_as(persona, dp_walker["plan"], dp_walker["fingerprint"], stop_at_first=True).problems:
            blind.append(persona.label)
    assert not blind, f"With scoping switched off, the walk found nothing for: {blind}"
