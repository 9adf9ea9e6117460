"""A data-subject request linked to the person it is about (issue 16, items 1-3): the handler finds
them among the CLP's electors and members with the apps' own searches, links the elector and/or the
member, and reaches the subject access export and erasure from the request in one click, each noted
in its timeline. Scoped: another CLP's data protection lead sees and links nothing."""

import io
import zipfile

import pytest
from django.urls import reverse

from campaigns.models import EventContact, Signup
from labourhub.dataprotection.models import SubjectRequest, SubjectRequestEvent
from labourhub.dataprotection.services import DataProtectionError, subject_request_link
from labourhub.models import AuditEvent, Role
from members.models import Member
from tests.campaigns.event_factories import event_with_shift
from tests.dataprotection.factories import SubjectRequestFactory
from tests.members.factories import MemberFactory
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import Elector

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(anytown):
    """Anytown's request from Priya Quennell, who is on the register and (unmatched) a member."""
    home = PropertyFactory(
        polling_district=anytown.polling_district, address="3 Mill Lane", postcode="AT11AA"
    )
    elector = ElectorFactory(home=home, first_names="Priya", surname="Quennell")
    ContactFactory(elector=elector, channel="door", notes="Asked about Anytown's bus routes")
    member = MemberFactory(
        constituency=anytown.constituency, first_name="Priya", last_name="Quennell", email="pq@example.org"
    )
    request = SubjectRequestFactory(constituency=anytown.constituency, requester_name="Priya Quennell")
    return request, elector, member


def _link(client, request, kind, pk):
    return client.post(
        reverse("dataprotection:request_person", args=[request.pk]), {"op": "link", "kind": kind, "pk": pk}
    )


def test_the_handler_finds_and_links_the_elector_and_the_member(client, anytown, case):
    request, elector, member = case
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:request_person", args=[request.pk])
    by_name = client.get(url, {"q": "Priya Quennell"}).content.decode()
    assert "3 Mill Lane" in by_name and "pq@example.org" in by_name
    assert (
        elector.elector_number_display
        in client.get(url, {"q": elector.elector_number_display}).content.decode()
    )
    assert "pq@example.org" in client.get(url, {"q": "pq@example.org"}).content.decode()
    assert "3 Mill Lane" in client.get(url, {"q": "AT1 1AA"}).content.decode()

    assert _link(client, request, "elector", elector.pk).status_code == 302
    assert _link(client, request, "member", member.pk).status_code == 302
    request.refresh_from_db()
    assert (request.subject_elector_id, request.subject_member_id) == (elector.pk, member.pk)
    assert request.subject_label == "Priya Quennell"
    page = client.get(reverse("dataprotection:request", args=[request.pk])).content.decode()
    assert reverse("dataprotection:request_subject_access", args=[request.pk]) in page
    assert reverse("dataprotection:request_erase", args=[request.pk]) in page
    whats = list(SubjectRequestEvent.unscoped.filter(request=request).values_list("what", flat=True))
    assert any(w.startswith("Linked to elector Priya Quennell") for w in whats)
    assert any(w.startswith("Linked to member Priya Quennell") for w in whats)
    finds = AuditEvent.objects.filter(action="dataprotection.request.find")
    assert finds.count() == 4 and "Quennell" not in str(list(finds.values_list("detail", flat=True)))


def test_subject_access_and_erasure_are_one_click_from_the_request(client, anytown, case):
    request, elector, member = case
    SubjectRequest.unscoped.filter(pk=request.pk).update(
        subject_elector_id=elector.pk, subject_member_id=member.pk
    )
    _, shift = event_with_shift(anytown.constituency, title="Mill Lane litter pick")
    contact = EventContact.unscoped.create(
        constituency=anytown.constituency, name="P Q", email="PQ@example.org"
    )
    Signup.unscoped.create(shift=shift, contact=contact, status=Signup.Status.BOOKED)
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))

    response = client.post(reverse("dataprotection:request_subject_access", args=[request.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = zipfile.ZipFile(io.BytesIO(response.content)).read("data.json").decode()
    assert "Asked about Anytown's bus routes" in data  # the elector's contact
    assert "pq@example.org" in data  # the (unmatched) member's record: both linked, both exported
    assert "Mill Lane litter pick" in data  # an event sign-up with the member's address

    response = client.post(
        reverse("dataprotection:request_erase", args=[request.pk]),
        {"what": "erase", "reason": request.reference},
    )
    assert response.status_code == 200
    elector.refresh_from_db()
    assert elector.do_not_contact and not Member.unscoped.filter(pk=member.pk).exists()
    events = SubjectRequestEvent.unscoped.filter(request=request)
    assert events.filter(what__startswith="Subject access export made: ").exists()
    erased = events.get(what="Erased")
    assert "membership records (this CLP's copy): 1" in erased.note and "contacts: 1" in erased.note
    assert "event sign-ups: 1" in erased.note and not EventContact.unscoped.exists()


def test_without_a_link_the_request_says_to_find_the_person_first(client, anytown, case):
    request, _, _ = case
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    response = client.post(reverse("dataprotection:request_subject_access", args=[request.pk]), follow=True)
    assert "Find and link the person first" in response.content.decode()
    assert client.get(reverse("dataprotection:request_erase", args=[request.pk])).status_code == 302


@pytest.mark.parametrize("pk", ["abc", "", "9" * 30, "-1"])
def test_a_bad_id_is_a_clear_message_not_a_500(client, anytown, case, pk):
    request, _, _ = case
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    response = _link(client, request, "elector", pk)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "is not the number of a record" in page
    request.refresh_from_db()
    assert request.subject_elector_id is None


def test_a_data_protection_lead_of_another_clp_sees_and_links_nothing(client, anytown, otherton, case):
    request, elector, member = case
    client.force_login(otherton.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:request_person", args=[request.pk])
    assert client.get(url, {"q": "Quennell"}).status_code == 404
    assert _link(client, request, "elector", elector.pk).status_code == 404
    assert client.post(reverse("dataprotection:request_subject_access", args=[request.pk])).status_code == 404
    assert client.get(reverse("dataprotection:request_erase", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.subject_elector_id is None
    # Otherton's own request cannot be linked to Anytown's elector or member, by page or by service.
    theirs = SubjectRequestFactory(constituency=otherton.constituency, requester_name="Priya Quennell")
    found = client.get(reverse("dataprotection:request_person", args=[theirs.pk]), {"q": "Quennell"})
    assert "3 Mill Lane" not in found.content.decode() and "pq@example.org" not in found.content.decode()
    _link(client, theirs, "elector", elector.pk)
    for kind, pk in (("elector", elector.pk), ("member", member.pk)):
        with pytest.raises(DataProtectionError, match="No "):
            subject_request_link(
                user=otherton.user(Role.DATA_PROTECTION_LEAD), subject_request=theirs, kind=kind, pk=pk
            )
    theirs.refresh_from_db()
    assert theirs.subject_elector_id is None and theirs.subject_member_id is None
    assert Elector.unscoped.filter(pk=elector.pk, do_not_contact=False).exists()


def test_someone_known_only_from_an_event_sign_up_is_found_exported_and_erased(client, anytown, otherton):
    """No elector, no member: only a sign-up to a litter pick. The handler finds them by name, by
    email or by their phone typed another way, links them, exports what is held and erases it; a
    later sign-up with the same address is caught. Another CLP's namesake is neither found nor
    linkable."""
    from campaigns.events_privacy import signup_caught

    event, shift = event_with_shift(anytown.constituency, title="Mill Lane litter pick")
    contact = EventContact.unscoped.create(
        constituency=anytown.constituency, name="Tomasz Wren", email="tw@example.org", phone="07700 900123"
    )
    Signup.unscoped.create(shift=shift, contact=contact, status=Signup.Status.BOOKED)
    _, their_shift = event_with_shift(otherton.constituency, title="Otherton leaflet round")
    namesake = EventContact.unscoped.create(
        constituency=otherton.constituency, name="Tomasz Wren", email="wren@otherton.example"
    )
    Signup.unscoped.create(shift=their_shift, contact=namesake, status=Signup.Status.BOOKED)
    request = SubjectRequestFactory(constituency=anytown.constituency, requester_name="Tomasz Wren")
    client.force_login(anytown.user(Role.DATA_PROTECTION_LEAD))
    url = reverse("dataprotection:request_person", args=[request.pk])

    for q in ("Tomasz Wren", "TW@example.org", "+44 7700 900123"):
        page = client.get(url, {"q": q}).content.decode()
        assert "tw@example.org" in page and "signed up to Mill Lane litter pick" in page, q
        assert "wren@otherton.example" not in page
    assert reverse("campaigns:event", args=[event.pk]) in page
    with pytest.raises(DataProtectionError, match="No event contact"):
        subject_request_link(
            user=anytown.user(Role.DATA_PROTECTION_LEAD),
            subject_request=request,
            kind="event contact",
            pk=namesake.pk,
        )
    assert _link(client, request, "event contact", contact.pk).status_code == 302
    request.refresh_from_db()
    assert request.subject_event_contact_id == contact.pk and request.subject_label == "Tomasz Wren"

    response = client.post(reverse("dataprotection:request_subject_access", args=[request.pk]))
    data = zipfile.ZipFile(io.BytesIO(response.content)).read("data.json").decode()
    assert "tw@example.org" in data and "Mill Lane litter pick" in data
    assert "Otherton leaflet round" not in data and "wren@otherton.example" not in data

    response = client.post(
        reverse("dataprotection:request_erase", args=[request.pk]),
        {"what": "erase", "reason": request.reference},
    )
    assert response.status_code == 200
    erased = SubjectRequestEvent.unscoped.get(request=request, what="Erased")
    assert "event contacts: 1" in erased.note and "event sign-ups: 1" in erased.note
    assert not EventContact.unscoped.filter(pk=contact.pk).exists()
    assert EventContact.unscoped.filter(pk=namesake.pk).exists()
    assert signup_caught(event=event, name="T Wren", email="tw@example.org", how="public")
