"""The source of every contact canvassing records (issue 16, item 5): the door, a paper sheet keyed
in, or the phone bank, on the contact row the voter's history and the subject access export read."""

import uuid

from campaigns.models import Visit
from campaigns.services import call_claim_next, call_list_create, call_record, canvass_record_visit
from labourhub.models import Role
from tests.campaigns.factories import campaign_with_survey
from tests.campaigns.test_phone_bank import people_with_phones
from tests.voters.factories import ElectorFactory, PropertyFactory


def _elector(anytown):
    return ElectorFactory(
        polling_district=anytown.polling_district,
        home=PropertyFactory(polling_district=anytown.polling_district),
    )


def test_a_door_visit_is_recorded_as_from_the_canvass(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    result = canvass_record_visit(
        canvasser=anytown.user(Role.CANVASSER),
        campaign=campaign,
        elector=_elector(anytown),
        outcome="spoke",
        client_uuid=uuid.uuid4(),
    )
    assert result.visit.contact.source == "canvass"


def test_a_paper_sheet_is_recorded_as_from_a_paper_sheet(anytown):
    campaign = campaign_with_survey(anytown.constituency)
    result = canvass_record_visit(
        canvasser=anytown.user(Role.CANVASSER),
        campaign=campaign,
        elector=_elector(anytown),
        outcome="spoke",
        client_uuid=uuid.uuid4(),
        flags=(Visit.Flag.PAPER,),
    )
    assert result.visit.contact.source == "paper sheet"


def test_a_call_is_recorded_as_from_the_phone_bank(anytown):
    caller = anytown.user(Role.CANVASSER)
    campaign = campaign_with_survey(anytown.constituency)
    people_with_phones(anytown, 1)
    call_list = call_list_create(campaign=campaign, name="Calls", criteria={})
    entry = call_claim_next(call_list=call_list, user=caller)
    call_record(entry=entry, user=caller, outcome="no_answer", client_uuid=str(uuid.uuid4()))
    visit = Visit.unscoped.get(elector=entry.elector)
    assert visit.contact.source == "phone bank"
