"""Data protection's URLs for the scoping walker (see tests/test_scoping_walker.py)."""

from labourhub.models import Role
from tests.dataprotection.factories import BreachFactory, SubjectRequestFactory
from tests.voters.walk import anytown_elector


def _no_kwargs(anytown):
    return {}


def _request(anytown):
    return anytown.once(
        "dsr",
        lambda clp: SubjectRequestFactory(
            constituency=clp.constituency,
            requester_name="Anne Anytown",
            requester_contact="anne@anytown.example",
            subject_elector_id=anytown_elector(clp).pk,  # linked: its export and erasure are reachable
        ),
    )


def _breach(anytown):
    return anytown.once(
        "breach",
        lambda clp: BreachFactory(
            constituency=clp.constituency, what_happened="Anytown's canvass sheet lost"
        ),
    )


def _with_rows(anytown):
    _request(anytown)
    _breach(anytown)
    return {}


URLS = {
    "dataprotection:requests": _with_rows,
    "dataprotection:overdue": _no_kwargs,
    "dataprotection:request_new": _no_kwargs,
    "dataprotection:request": lambda anytown: {"pk": _request(anytown).pk},
    "dataprotection:request_person": lambda anytown: {"pk": _request(anytown).pk},
    "dataprotection:request_subject_access": lambda anytown: {"pk": _request(anytown).pk},
    "dataprotection:request_erase": lambda anytown: {"pk": _request(anytown).pk},
    "dataprotection:report": _with_rows,
    "dataprotection:breaches": _with_rows,
    "dataprotection:breach_new": _no_kwargs,
    "dataprotection:breach": lambda anytown: {"pk": _breach(anytown).pk},
    "dataprotection:records": _no_kwargs,
}

NO_CANARY = {
    "dataprotection:overdue": "Anytown's walk request is not overdue: the list is empty",
    "dataprotection:records": "generated from the code's declarations: no CLP's records",
}

# Canvassers and tellers (no MFA) open none of it, even in their own CLP
# (tests/labourhub/test_least_privilege.py).
DENIED_TO = dict.fromkeys([Role.CANVASSER, Role.TELLER], list(URLS))
