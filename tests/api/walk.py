"""/api/v1/ and the API token pages for the scoping walker (see tests/test_scoping_walker.py, which
walks the /api/v1/ URLs with a token of every persona as well as with its session)."""

from django.utils import timezone

from campaigns.services import survey_create
from labourhub.api_v1.models import Scope
from labourhub.api_v1.services import api_token_create
from labourhub.models import Role
from tests.access.walk import anytown_request
from tests.campaigns.factories import CampaignFactory
from tests.campaigns.walk import _call_list, _event, _pack, _visit
from tests.gotv.walk import _day, _elector
from tests.members.walk import _member


def _no_kwargs(anytown):
    return {}


def _with_elector(anytown):
    _pack(anytown)  # an Anytown elector, surname Anytownson
    return {}


def _elector_pk(anytown):
    return {"pk": _pack(anytown).doors.get().property.electors.get().pk}


def _token_pk(anytown):
    token, _ = anytown.once(
        "api token",
        lambda clp: api_token_create(
            user=clp.user(Role.CLP_SECRETARY),
            name="Anytown turnout model",
            scopes=list(Scope.values),
            expires_at=None,
        ),
    )
    return {"pk": token.pk}


def _contact(anytown):
    """One contact for Anytown's pack and elector, as a script sends it."""
    pack = _pack(anytown)
    return {
        "pack": pack.pk,
        "elector": pack.doors.get().property.electors.get().pk,
        "outcome": "spoke",
        "survey_version": pack.campaign.current_survey_version().pk,
        "answers": {"vi": "L"},
        "notes": "Walker's note",
    }


def _member_pk(anytown):
    return {"pk": _member(anytown).pk}


def _event_pk(anytown):
    return {"pk": _event(anytown).pk}


def _with_request(anytown):
    anytown_request(anytown)  # asked by Wally Anytownson: Anytown's endorsers see it
    return {}


def _access_request(anytown):
    return {
        "tool": anytown_request(anytown).tool.slug,
        "constituency": anytown.constituency.gss_code,
        "reason": "Walker's request through Anytown",
        "needed_by": (timezone.localdate() + timezone.timedelta(days=7)).isoformat(),
    }


def _signup(anytown):
    return {
        "shift": _event(anytown).shifts.get().pk,
        "name": "Anytown Walker",
        "email": "walker-signup@anytown.example",
        "consent_email": True,
    }


def _api_day(anytown):
    return anytown.once("api polling day", _day)


def _election(anytown):
    return {"election": _api_day(anytown).election.pk}


def _tellings(anytown):
    """One poll number of an Anytown elector at Anytown's box, as a script sends it."""
    day = _api_day(anytown)
    entry = _elector(anytown, day.election).register_entries.get()
    return {
        "election": day.election.pk,
        "box": day.box.pk,
        "entries": [{"uuid": "7a2d5c1e-0000-4000-8000-00000000a18a", "number": str(entry.elector_number)}],
    }


def _survey(anytown):
    """A survey whose name carries the canary (the standard questions do not), in a campaign of its
    own (a second survey in the pack's campaign would change what its phones are asked)."""
    anytown.once(
        "api survey",
        lambda clp: survey_create(
            campaign=CampaignFactory(constituency=clp.constituency, name="Anytown API campaign"),
            name="Anytown leaflet survey",
        ),
    )
    return {}


def _with_call_list(anytown):
    _call_list(anytown)  # "Anytown calls"
    return {}


URLS = {
    "api_v1_schema": _no_kwargs,
    "api_v1_docs": _no_kwargs,
    "api_tokens": _no_kwargs,
    "api_token_revoke": _token_pk,
    "v1-elector-list": _with_elector,
    "v1-elector-detail": _elector_pk,
    "v1-elector-removed": _with_elector,
    "v1-contact-list": _no_kwargs,
    "v1-contact-detail": lambda anytown: {"pk": _visit(anytown).pk},
    "v1-member-list": lambda anytown: _member(anytown) and {},
    "v1-member-detail": _member_pk,
    "v1-member-consents": _member_pk,
    "v1-access-holding-list": _no_kwargs,
    "v1-access-request-list": _with_request,
    "v1-event-list": lambda anytown: _event(anytown) and {},
    "v1-event-detail": _event_pk,
    "v1-event-signups": _event_pk,
    "v1-telling-list": _no_kwargs,
    "v1-campaign-list": _with_elector,  # "Anytown spring campaign"
    "v1-survey-list": _survey,
    "v1-walk-list-list": _with_elector,  # its pack "Anytown Road"
    "v1-pack-list": _with_elector,
    "v1-pack-detail": lambda anytown: {"pk": _pack(anytown).pk},
    "v1-call-list-list": _with_call_list,
    "v1-call-outcome-list": _with_call_list,
}
BODIES = {
    "v1-contact-list": _contact,
    "v1-member-consents": lambda anytown: {"channel": "email", "granted": False, "wording": "Walker"},
    "v1-access-request-list": _access_request,
    "v1-event-signups": _signup,
    "v1-telling-list": _tellings,
}
QUERIES = {"v1-telling-list": _election}
OWNERS = {"v1-contact-list": Role.CANVASSER}
# api_tokens: the signed-in user's own tokens; its owner (the secretary) sees "Anytown turnout model".
NO_CANARY = {
    "api_v1_schema": "the API's description: no rows",
    "api_v1_docs": "the API's reference, from the schema: no rows",
    "v1-elector-removed": "ids only: a leak here shows no name",
    "v1-contact-list": "ids and codes only: a leak here shows no name (as campaigns-visit-list)",
    "v1-contact-detail": "ids and codes only: a leak here shows no name (as campaigns-visit-detail)",
    "v1-access-holding-list": "the token owner's own holdings only: no one else's, so no Anytown row to show",
    "v1-call-outcome-list": "ids, statuses and outcome codes only: a leak here shows no name",
}
