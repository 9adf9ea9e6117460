"""Access's URLs for the scoping walker (see tests/test_scoping_walker.py)."""

from access.models import AccessRequest, EscalationContact, Holding, Tool, TrainingRecord
from labourhub.models import Grant, Role
from tests.access.factories import ToolFactory, make_eligible, submit
from tests.factories import UserFactory


def _no_kwargs(anytown):
    return {}


def anytown_member(anytown):
    user = UserFactory(email="walker@anytown.example", full_name="Wally Anytownson")
    if not TrainingRecord.objects.filter(user=user).exists():
        make_eligible(user, anytown.constituency)
    return user


def anytown_request(anytown):
    tool = ToolFactory(name="Contact Creator", slug="contact-creator", role="")
    existing = AccessRequest.objects.filter(tool=tool).first()
    return existing or submit(tool, anytown_member(anytown), anytown.constituency)


def anytown_holding(anytown):
    tool = ToolFactory(name="Doorstep", slug="doorstep", role=Role.CANVASSER, auto_approve=True)
    existing = Holding.unscoped.filter(tool=tool).first()
    return existing or submit(tool, anytown_member(anytown), anytown.constituency).holding


def _request_pk(anytown):
    return {"pk": anytown_request(anytown).pk}


def _holding_pk(anytown):
    return {"pk": anytown_holding(anytown).pk}


URLS = dict.fromkeys(
    [
        "access:index",
        "access:rules",
        "access:request_new",
        "access:conditions",
        "access:endorser_queue",
        "access:reviewer_queue",
        "access:register_index",
        "access:delegations",
        "access:reports",
        "access:audit",
        "access:audit_export",
    ],
    _no_kwargs,
) | {
    "access:request": _request_pk,
    "access:decide": _request_pk,
    "access:withdraw": _request_pk,
    "access:answer": _request_pk,
    "access:renew": _holding_pk,
    "access:revoke": _holding_pk,
    "access:register": lambda anytown: {"pk": anytown.constituency.pk},
    "access-holding-list": _no_kwargs,
    "access-holding-detail": _holding_pk,
    "access:grant_why": lambda anytown: {"pk": Grant.objects.get(user=anytown.user(Role.CLP_SECRETARY)).pk},
}

ADMIN_OBJECTS = {
    Tool: lambda anytown: ToolFactory(name="Insight", slug="insight", role=""),
    AccessRequest: anytown_request,
    Holding: anytown_holding,
    TrainingRecord: lambda anytown: TrainingRecord.objects.filter(user=anytown_member(anytown)).first(),
    EscalationContact: lambda anytown: EscalationContact.objects.get_or_create(
        region=anytown.constituency.region, user=anytown_member(anytown)
    )[0],
}


# The requester's own pages are opened first by the requester.
OWNERS = dict.fromkeys(["access:withdraw", "access:answer", "access:renew"], anytown_member)
NO_CANARY = {
    "access:rules": "the published rules of each tool, the same for every CLP",
    "access:conditions": "the conditions a tool sets, the same for every CLP",
    "access:delegations": "the signed-in user's own delegations",
    # Gaps, left for the access work under way: the walk's request and holding are not at a step
    # where an Anytown owner may act, so only Otherton's POSTs (against the fingerprint) check these.
    "access:decide": "gap: the walk's request waits for no decider the walk has",
    "access:answer": "gap: the walk's request has no question to answer",
    "access:revoke": "gap: no walk persona may revoke the walk's holding",
    "access:reviewer_queue": "gap: the walk's tools name no approver role, so nobody has a queue",
    "access:reports": "gap: refused to every walk persona",
    "admin:access_tool_changelist": "tools are the same for every CLP",
    "admin:access_tool_add": "an empty form",
    "admin:access_tool_change": "tools are the same for every CLP",
    "admin:access_tool_history": "tools are the same for every CLP",
    "admin:access_trainingrecord_add": "an empty form",
    "admin:access_escalationcontact_add": "an empty form",
}
