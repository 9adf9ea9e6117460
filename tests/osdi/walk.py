"""/api/osdi/v1/ for the scoping walker (tests/test_scoping_walker.py): every OSDI URL, with Anytown's
ids, walked by every persona's session. (The walker's token personas walk /api/v1/ only; OSDI's views
are the same ApiViewSet with the same token authentication: tests/osdi/test_osdi.py walks them with
another CLP's token.)"""

from tests.api.walk import _elector_pk, _no_kwargs, _with_elector
from tests.campaigns.walk import _event, _pack, _visit


def _visit_elector(anytown):
    return {"pk": _visit(anytown).elector_id}


def _visit_pk(anytown):
    return {"pk": _visit(anytown).pk}


def _question_pk(anytown):
    return {"pk": _pack(anytown).campaign.current_survey_version().questions.get(key="vi").pk}


def _event_pk(anytown):
    return {"pk": _event(anytown).pk}


def _canvass(anytown):
    """One canvass of Anytown's pack elector, as an OSDI client sends it to the record canvass helper.
    Its owner is the secretary (the pack is given to nobody; a canvasser may record only on packs
    given to them): the answer shows the campaign's name and the POST adds a visit."""
    return {"canvass": {"contact_type": "in-person", "success": True}, "labourhub:pack": _pack(anytown).pk}


URLS = {
    "osdi:aep": _no_kwargs,
    "osdi:people": _with_elector,
    "osdi:person": _elector_pk,
    "osdi:person-canvasses": _visit_elector,
    "osdi:person-taggings": _elector_pk,
    "osdi:record-canvass": _elector_pk,
    "osdi:canvasses": lambda anytown: _visit(anytown) and {},
    "osdi:canvass": _visit_pk,
    "osdi:canvass-answers": _visit_pk,
    "osdi:questions": lambda anytown: _pack(anytown) and {},
    "osdi:question": _question_pk,
    "osdi:tags": _no_kwargs,
    "osdi:tag": lambda anytown: {"code": "F"},
    "osdi:events": lambda anytown: _event(anytown) and {},
    "osdi:event": _event_pk,
    "osdi:event-attendances": _event_pk,
}
BODIES = {"osdi:record-canvass": _canvass}
NO_CANARY = {
    "osdi:aep": "links to the collections: no rows",
    "osdi:person-taggings": "marker letters and links only: a leak here shows no name",
    "osdi:canvass-answers": "response codes and links only: a leak here shows no name",
    "osdi:tags": "the register's marker letters, the same for every CLP",
    "osdi:tag": "one marker letter, the same for every CLP",
}
