"""Each service emits its event once, with only the fields its subscribers' action lets them see."""

import io
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns import events_services
from campaigns.webhooks import CONTACT_FIELDS, SIGNUP_FIELDS
from gotv.services import telling_record
from gotv.webhooks import TELLING_FIELDS
from labourhub.models import Role
from labourhub.webhooks.models import Delivery, EventType
from members.webhooks import MEMBER_FIELDS
from tests.campaigns.event_factories import event_with_shift
from tests.gotv.factories import polling_day
from tests.voters.factories import ElectorFactory, PropertyFactory
from tests.webhooks.factories import subscribe
from tests.webhooks.test_delivery import knock

pytestmark = pytest.mark.django_db
URL = "https://hooks.example/in"
HEADER = "Membership Number,Forename,Surname,Email,Postcode,Status,Joined,Date of birth\r\n"


@pytest.fixture(autouse=True)
def _allow_test_addresses(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # hooks.example does not resolve


def _payloads(event_type):
    return [d.payload for d in Delivery.unscoped.filter(event_type=event_type).order_by("pk")]


def _import(clp, tmp_path, *lines):
    path = tmp_path / f"members-{uuid.uuid4().hex}.csv"
    path.write_bytes((HEADER + "".join(line + "\r\n" for line in lines)).encode())
    call_command(
        "import_members", str(path), "--constituency", clp.constituency.gss_code, stdout=io.StringIO()
    )


def test_a_contact_carries_ids_channel_and_outcome_never_notes_or_answers(anytown):
    subscribe(anytown, URL)
    visit = knock(anytown)
    [payload] = _payloads(EventType.CONTACT_RECORDED)
    assert set(payload["data"]) == set(CONTACT_FIELDS)
    assert payload["data"]["outcome"] == "spoke"
    assert "dog" not in str(payload).lower()  # the visit's notes stay home
    assert "Anytownson" not in str(payload)  # the elector's name too
    assert payload["data"]["visit_id"] == visit.pk


def test_members_joined_and_lapsed_from_an_import_without_contact_details(anytown, tmp_path):
    subscribe(anytown, URL, [EventType.MEMBER_JOINED, EventType.MEMBER_LAPSED])
    _import(
        anytown, tmp_path, "A100001,Ann,Anytownley,ann@anytown.example,AT1 1AA,current,01/02/2020,03/04/1980"
    )
    [joined] = _payloads(EventType.MEMBER_JOINED)
    assert set(joined["data"]) == set(MEMBER_FIELDS)
    assert (joined["data"]["membership_number"], joined["data"]["status"]) == ("A100001", "current")
    assert joined["data"]["joined_on"] == "2020-02-01"
    assert joined["constituency"] == anytown.constituency.gss_code
    for private in ("ann@anytown.example", "AT1 1AA", "1980"):
        assert private not in str(joined)
    # The same file again: nobody joined or lapsed.
    _import(
        anytown, tmp_path, "A100001,Ann,Anytownley,ann@anytown.example,AT1 1AA,current,01/02/2020,03/04/1980"
    )
    assert Delivery.unscoped.count() == 1
    _import(
        anytown, tmp_path, "A100001,Ann,Anytownley,ann@anytown.example,AT1 1AA,lapsed,01/02/2020,03/04/1980"
    )
    [lapsed] = _payloads(EventType.MEMBER_LAPSED)
    assert lapsed["data"]["status"] == "lapsed"
    assert set(lapsed["data"]) == set(MEMBER_FIELDS)
    # Lapsed already: not again.
    _import(
        anytown, tmp_path, "A100001,Ann,Anytownley,ann@anytown.example,AT1 1AA,lapsed,01/02/2020,03/04/1980"
    )
    assert Delivery.unscoped.count() == 2


def test_a_sign_up_carries_the_name_not_the_email_or_phone(anytown):
    subscribe(anytown, URL, [EventType.SIGNUP_CREATED])
    event, shift = event_with_shift(anytown.constituency)
    events_services.event_signup(
        event=event,
        shift=shift,
        name="Sam Signup",
        email="sam@anytown.example",
        phone="07700900123",
        consent_email=True,
        wording="Email me about this event",
    )
    [payload] = _payloads(EventType.SIGNUP_CREATED)
    assert set(payload["data"]) == set(SIGNUP_FIELDS)
    assert payload["data"]["name"] == "Sam Signup"
    assert "sam@anytown.example" not in str(payload) and "07700900123" not in str(payload)


def test_a_first_telling_is_emitted_without_the_electors_name(anytown):
    subscribe(anytown, URL, [EventType.TELLING_RECORDED])
    elector = ElectorFactory(
        home=PropertyFactory(polling_district=anytown.polling_district),
        elector_number=7,
        surname="Anytownson",
    )
    day = polling_day(anytown, electors=[elector])

    def tell():
        return telling_record(
            teller=anytown.user(Role.TELLER),
            election=day.election,
            box=day.box,
            raw_number="7",
            client_uuid=uuid.uuid4(),
            recorded_at=timezone.now(),
        )

    assert tell().status == "found"
    assert tell().status == "already_told"  # told twice: one event, for the vote
    [payload] = _payloads(EventType.TELLING_RECORDED)
    assert set(payload["data"]) == set(TELLING_FIELDS)
    assert (payload["data"]["elector_id"], payload["data"]["elector_number"]) == (elector.pk, 7)
    assert "Anytownson" not in str(payload)
