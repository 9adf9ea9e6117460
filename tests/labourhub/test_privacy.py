"""Subject access export and erasure across the apps (issue 16, items 2 and 3; labourhub/privacy.py and
each app's privacy.py): everything held is in the export and nothing of anyone else's; erasure removes
the party's own data, leaves a keyed-hash tombstone and keeps the register entry as do not contact."""

import io
import json
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Relation, Visit
from campaigns.services import relation_add
from casework.models import Case
from gotv.models import PromiseAdjustment
from labourhub import privacy
from labourhub.models import AuditEvent, Role
from labourhub.privacy import Person, person_erase, subject_access_export, tombstone_key
from members.models import Consent, EmailRecipient, Member
from tests.gotv.factories import ElectionFactory, RegisterPublicationFactory, canvassed, enter
from tests.members.factories import EmailSendFactory, MemberFactory
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import Contact, Elector, ElectorScore, ModelVersion, Suppression


@pytest.fixture
def dpl(anytown):
    return anytown.user(Role.DATA_PROTECTION_LEAD)


@pytest.fixture
def history(anytown):
    """Jane Privet with a record in every app; her housemate Bob Hedge with answers of his own."""
    home = PropertyFactory(
        polling_district=anytown.polling_district, address="7 Laurel Road, Anytown", postcode="AT17LR"
    )
    jane = ElectorFactory(home=home, first_names="Jane Anne", surname="Privet")
    bob = ElectorFactory(home=home, first_names="Bob", surname="Hedge")
    enter(RegisterPublicationFactory(constituency=anytown.constituency), jane)
    ContactFactory(elector=jane, channel="email", notes="Asked about bins; Bob Hedge was out")
    ContactFactory(elector=jane, channel="post", notes="Leaflet")
    canvassed(jane, "L", "soft")
    canvassed(bob, "T", "hard")  # Bob's own answers: never in Jane's export
    model = ModelVersion.unscoped.create(
        constituency=anytown.constituency, name="Support 2026", score_names=["support"]
    )
    ElectorScore.unscoped.create(model_version=model, elector=jane, name="support", value=0.83)
    relation_add(owner=anytown.user(Role.CANVASSER), elector=jane, kind=Relation.Kind.NEIGHBOUR)
    member = MemberFactory(
        constituency=anytown.constituency,
        first_name="Jane",
        last_name="Privet",
        elector=jane,
        consent_email=True,
    )
    Consent.unscoped.create(
        member=member, channel="email", granted=True, wording="Yes to email", source="import"
    )
    EmailRecipient.unscoped.create(
        send=EmailSendFactory(constituency=anytown.constituency, subject="Spring newsletter"),
        member=member,
        email=member.email,
        batch_number=0,
        planned_at="2026-03-01T10:00Z",
    )
    election = ElectionFactory(constituency=anytown.constituency)
    PromiseAdjustment.unscoped.create(
        election=election, elector=jane, kind=PromiseAdjustment.Kind.PROMISE, reason="Promised at the door"
    )
    # Someone else's contact that names her: found for review, never changed.
    other = ElectorFactory(polling_district=anytown.polling_district, surname="Hornbeam")
    ContactFactory(elector=other, notes="Says Jane Privet runs the residents' group")
    return {"jane": jane, "bob": bob, "member": member, "other": other}


def _open(archive_bytes):
    archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
    assert sorted(archive.namelist()) == ["data.json", "summary.html"]
    return json.loads(archive.read("data.json")), archive.read("summary.html").decode()


def _section(data, key):
    return next(s for s in data["sections"] if s["key"] == key)["records"]


def test_export_holds_everything_in_every_app_and_nothing_of_others(client, anytown, dpl, history):
    client.force_login(dpl)
    response = client.post(reverse("voters:elector_subject_access", args=[history["jane"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data, html = _open(response.content)

    assert _section(data, "register")[0]["name"] == "Jane Anne Privet"
    assert len(_section(data, "register_history")) == 1
    assert {c["channel"] for c in _section(data, "contacts")} >= {"Email", "Post", "Door"}
    canvass = _section(data, "canvass")
    assert len(canvass) == 1 and canvass[0]["source"] == "canvass"
    assert _section(data, "intention")[0]["intention"] == "Labour"
    score = _section(data, "scores")[0]
    assert score["model"] == "Support 2026" and "estimate" in score["meaning"]
    assert _section(data, "relations")[0]["relation"] == "Neighbour"
    assert _section(data, "membership")[0]["membership_number"] == history["member"].membership_number
    assert _section(data, "consents")[0]["wording"] == "Yes to email"
    assert _section(data, "emails")[0]["subject"] == "Spring newsletter"
    assert _section(data, "polling_day")[0]["what"] == "On the promise list"
    assert all("source" in record for section in data["sections"] for record in section["records"])

    text = json.dumps(data) + html
    # The housemate: his answers are not there, and his name is taken out of her contact's notes.
    assert "Conservative" not in text
    assert "Hedge" not in text and "[another person] was out" in text
    assert "Hornbeam" not in text  # other people's contacts, even ones naming her
    assert "Anytown canvasser" not in text.lower()  # who recorded the relation is theirs
    assert "separate data controller" in html and data["casework"].startswith("Casework is not included")

    event = AuditEvent.objects.get(action=privacy.SUBJECT_ACCESS_ACTION)
    assert event.user == dpl and event.constituency == anytown.constituency
    assert event.detail["elector_ids"] == [history["jane"].pk]
    assert event.detail["member_ids"] == [history["member"].pk]


def test_export_from_the_member_page_finds_the_same_person(client, dpl, history):
    client.force_login(dpl)
    response = client.post(reverse("members:subject_access", args=[history["member"].pk]))
    data, _ = _open(response.content)
    assert _section(data, "register")[0]["name"] == "Jane Anne Privet"
    assert _section(data, "membership")


def test_casework_holds_nothing_in_the_export(anytown, dpl, history):
    from tests.casework.factories import CaseFactory

    case = CaseFactory(
        office__constituency=anytown.constituency, elector=history["jane"], summary="Privet housing case"
    )
    assert Case.unscoped.filter(pk=case.pk).exists()
    export = subject_access_export(
        person=Person(anytown.constituency, frozenset({history["jane"].pk})), user=dpl
    )
    assert {s.app for s in export.sections} <= {"labourhub", "voters", "members", "campaigns", "gotv"}
    assert "housing case" not in export.as_json() + export.summary_html()


def test_audit_events_about_them_are_in_the_export(client, anytown, dpl, history):
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)
    client.get(reverse("voters:elector", args=[history["jane"].pk]))
    export = subject_access_export(
        person=Person(anytown.constituency, frozenset({history["jane"].pk})), user=dpl
    )
    looked = [e for e in export.sections if e.key == "audit"][0].records
    assert [(r["what"], r["who"]) for r in looked] == [("elector.view", secretary.full_name)]


def test_export_costs_one_query_per_section(anytown, dpl, history, django_assert_max_num_queries):
    person = Person(anytown.constituency, frozenset({history["jane"].pk}))
    with django_assert_max_num_queries(30) as captured:
        export = subject_access_export(person=person, user=dpl)
    # One per section (18 sections), the links between apps, the household's names, the person's
    # phone numbers (one union of every app's, for the texts sent to them), whether the CLP has
    # integrations (webhook deliveries are looked for only then) and the audit row.
    assert len(captured.captured_queries) <= len(export.sections) + 10


def test_another_clps_data_protection_lead_can_neither_export_nor_erase(client, otherton, history):
    client.force_login(otherton.user(Role.DATA_PROTECTION_LEAD))
    jane = history["jane"]
    assert client.post(reverse("voters:elector_subject_access", args=[jane.pk])).status_code == 404
    assert client.get(reverse("voters:elector_erase", args=[jane.pk])).status_code == 404
    response = client.post(reverse("voters:elector_erase", args=[jane.pk]), {"what": "erase", "reason": "x"})
    assert response.status_code == 404
    assert client.post(reverse("members:subject_access", args=[history["member"].pk])).status_code == 404
    assert Contact.unscoped.filter(elector=jane).exists()
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()


def test_an_organiser_without_protect_data_cannot_export(client, anytown, history):
    client.force_login(anytown.user(Role.ORGANISER))
    assert client.post(reverse("voters:elector_subject_access", args=[history["jane"].pk])).status_code == 404


def test_the_erase_page_asks_first_and_says_what_will_go(client, dpl, history):
    client.force_login(dpl)
    jane = history["jane"]
    response = client.get(reverse("voters:elector_erase", args=[jane.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "contacts: <strong>3</strong>" in page  # two by hand, one from canvassing
    assert "canvass and phone answers (visits): <strong>1</strong>" in page
    assert "membership records (this CLP&#x27;s copy): <strong>1</strong>" in page
    assert "Says Jane Privet runs the residents" in page  # the note naming her, for review
    assert Contact.unscoped.filter(elector=jane).count() == 3  # nothing changed by looking


def test_erasure_removes_the_partys_data_and_keeps_the_register_entry(client, anytown, dpl, history):
    client.force_login(dpl)
    jane = history["jane"]
    response = client.post(
        reverse("voters:elector_erase", args=[jane.pk]), {"what": "erase", "reason": "SAR-17"}
    )
    assert response.status_code == 200
    assert "Says Jane Privet runs the residents" in response.content.decode()
    jane.refresh_from_db()
    assert jane.do_not_contact and jane.surname == "Privet"  # the statutory register stays
    assert not Contact.unscoped.filter(elector=jane).exists()
    assert not Visit.unscoped.filter(elector=jane).exists()
    assert not ElectorScore.unscoped.filter(elector=jane).exists()
    assert not Relation.unscoped.filter(elector=jane).exists()
    assert not PromiseAdjustment.unscoped.filter(elector=jane).exists()
    assert not Member.unscoped.filter(pk=history["member"].pk).exists()
    # Bob's and the neighbour's records are untouched (the note naming her is listed, not changed).
    assert Visit.unscoped.filter(elector=history["bob"]).exists()
    assert Contact.unscoped.filter(elector=history["other"], notes__contains="Jane Privet").exists()
    tombstones = Suppression.unscoped.filter(constituency=anytown.constituency, kind=Suppression.Kind.ERASURE)
    assert {(t.field, t.key) for t in tombstones} == {
        (Suppression.Field.NAME, tombstone_key("Privet", "Jane Anne")),
        (Suppression.Field.MEMBERSHIP, tombstone_key(history["member"].membership_number)),
        (Suppression.Field.EMAIL, tombstone_key(history["member"].email)),  # checked by event sign-ups
    }
    assert all(t.reason == "SAR-17" and t.created_by == dpl for t in tombstones)


def test_the_audit_log_keeps_ids_never_names_and_survives_erasure(client, anytown, dpl, history):
    secretary = anytown.user(Role.CLP_SECRETARY)
    client.force_login(secretary)
    client.get(reverse("voters:elector", args=[history["jane"].pk]))
    before = AuditEvent.objects.count()
    person_erase(
        person=Person(anytown.constituency, frozenset({history["jane"].pk})), user=dpl, reason="SAR-18"
    )
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.filter(action="elector.view", object_id=str(history["jane"].pk)).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM labourhub_auditevent WHERE detail::text ILIKE '%%privet%%'")
        assert cursor.fetchone() == (0,)
    erased = AuditEvent.objects.get(action=privacy.ERASE_ACTION)
    assert erased.detail["elector_ids"] == [history["jane"].pk] and "SAR-18" not in json.dumps(erased.detail)


def test_an_objection_keeps_the_records_and_stops_contact(anytown, dpl, history):
    jane, member = history["jane"], history["member"]
    result = person_erase(
        person=Person(anytown.constituency, frozenset({jane.pk})), user=dpl, reason="Objected", erase=False
    )
    assert not result.erased
    jane.refresh_from_db()
    member.refresh_from_db()
    assert jane.do_not_contact and Contact.unscoped.filter(elector=jane).exists()
    assert not member.consent_email
    assert Consent.unscoped.filter(member=member, granted=False, source="objection").exists()
    assert Suppression.unscoped.get(field="name").kind == Suppression.Kind.OBJECTION


def test_a_reason_is_required(anytown, dpl, history):
    with pytest.raises(ValueError, match="Say why"):
        person_erase(
            person=Person(anytown.constituency, frozenset({history["jane"].pk})), user=dpl, reason="  "
        )


def test_the_erase_form_without_a_reason_says_so(client, dpl, history):
    client.force_login(dpl)
    response = client.post(reverse("voters:elector_erase", args=[history["jane"].pk]), {"what": "erase"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Contact.unscoped.filter(elector=history["jane"]).exists()


@pytest.mark.parametrize(
    "surname,first",
    [
        ("Privet", "Jane Anne"),
        ("  o'neil-smith ", "jane\t anne"),
        ("Zoë", "Élodie"),
        ("", ""),
        ("Mc Kay", "A  B"),
    ],
)
def test_the_tombstone_hmac_is_the_same_in_python_and_postgres(db, surname, first):
    sql, params = privacy.tombstone_key_sql("%s", "%s")
    # Two placeholders for the values, after the two key parameters in the SQL text's order.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", [*params[:2], surname, first])
        (in_postgres,) = cursor.fetchone()
    assert in_postgres == tombstone_key(surname, first)


def test_the_tombstone_is_keyed_not_a_bare_hash(settings):
    import hashlib

    key = tombstone_key("Privet", "Jane")
    assert key != hashlib.md5(b"PRIVET|JANE").hexdigest() and key  # noqa: S324  # the old key, to compare != hashlib.sha256(b"PRIVET|JANE").hexdigest()
    settings.SUPPRESSION_SECRET = "another secret"
    assert tombstone_key("Privet", "Jane") != key


def test_a_household_member_is_not_linked_to_the_person(anytown, history):
    person = privacy.person_linked(Person(anytown.constituency, frozenset({history["jane"].pk})))
    assert person.elector_ids == frozenset({history["jane"].pk})
    assert person.member_ids == frozenset({history["member"].pk})
    assert not Elector.unscoped.filter(pk__in=person.elector_ids, surname="Hedge").exists()


def test_erasure_never_reaches_another_clps_rows(otherton, dpl, history):
    """A member of Otherton wrongly linked to Anytown's elector: erasing either side touches only
    its own CLP."""
    from tests.voters.factories import ContactFactory as Contacts

    jane = history["jane"]
    stray = MemberFactory(
        constituency=otherton.constituency, first_name="Jane", last_name="Privet", elector=jane
    )
    person_erase(
        person=Person(otherton.constituency, member_ids=frozenset({stray.pk})), user=None, reason="Otherton"
    )
    assert Contact.unscoped.filter(elector=jane).exists() and Visit.unscoped.filter(elector=jane).exists()
    assert not Elector.unscoped.get(pk=jane.pk).do_not_contact
    stray = MemberFactory(constituency=otherton.constituency, membership_number="Z1", elector=jane)
    Contacts(elector=jane)
    person_erase(
        person=Person(jane.polling_district.constituency, frozenset({jane.pk})), user=dpl, reason="Anytown"
    )
    assert Member.unscoped.filter(pk=stray.pk).exists()


def test_an_objection_from_the_member_page(client, anytown, history):
    member = history["member"]
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    page = client.get(reverse("members:erase", args=[member.pk])).content.decode()
    assert "membership records: every consent withdrawn: <strong>1</strong>" in page
    response = client.post(
        reverse("members:erase", args=[member.pk]), {"what": "object", "reason": "Phoned in"}
    )
    assert "Objection recorded" in response.content.decode()
    member.refresh_from_db()
    assert not member.consent_email
    assert Elector.unscoped.get(pk=history["jane"].pk).do_not_contact  # the member's elector too
    assert AuditEvent.objects.filter(action=privacy.OBJECT_ACTION).count() == 1


def test_the_buttons_show_only_to_those_who_may_use_them(client, anytown, history):
    url = reverse("voters:elector", args=[history["jane"].pk])
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    assert "Download everything held (subject access)" in client.get(url).content.decode()
    client.force_login(anytown.user(Role.ORGANISER))
    page = client.get(url).content.decode()
    assert "Jane Anne Privet" in page and "Download everything held" not in page


# --- Texts and webhook deliveries (the core's own records of a person) ----------------------------


@pytest.fixture
def texts(anytown, otherton, history):
    """Texts to Jane's member mobile and to her event contact's phone, one to Bob's number, one from
    another CLP to her number; her mobile texted STOP once."""
    from campaigns.models import Signup
    from labourhub.sms_models import SmsMessage, SmsOptOut
    from tests.campaigns.event_factories import EventContactFactory, EventFactory, ShiftFactory

    member = history["member"]
    member.mobile = "07700 900123"
    member.save(update_fields=["mobile"])
    contact = EventContactFactory(constituency=anytown.constituency, member=member, phone="+44 7700 900456")
    shift = ShiftFactory(event=EventFactory(constituency=anytown.constituency))
    signup = Signup.unscoped.create(
        shift=shift, contact=contact, status=Signup.Status.BOOKED, status_at=shift.starts_at
    )

    def text(clp, to, key, body):
        return SmsMessage.unscoped.create(constituency=clp.constituency, to=to, key=key, body=body)

    text(anytown, "+447700900123", "event:t1:day_before:0", "Tomorrow 18:00: Jane's phone bank")
    text(anytown, "+447700900456", f"event:{signup.pk}:morning:0", "Today 10:30: canvass session")
    text(anytown, "+447700900999", "event:t3:morning:0", "Today: Bob's leafleting")
    text(otherton, "+447700900123", "event:t4:morning:0", "Otherton's own reminder")
    SmsOptOut.objects.create(number="+447700900123", keyword="STOP")
    return {"signup": signup}


def test_export_lists_the_texts_sent_to_their_numbers_and_their_opt_out(anytown, dpl, history, texts):
    export = subject_access_export(
        person=Person(anytown.constituency, frozenset({history["jane"].pk})), user=dpl
    )
    data = json.loads(export.as_json())
    sent = _section(data, "texts")
    assert sorted(t["text"] for t in sent) == [
        "Today 10:30: canvass session",
        "Tomorrow 18:00: Jane's phone bank",
    ]
    assert all(t["why"] == "about an event you booked" and t["source"] for t in sent)
    text = export.as_json() + export.summary_html()
    assert "Bob's leafleting" not in text and "Otherton's own reminder" not in text
    (opt_out,) = _section(data, "text_opt_outs")
    assert opt_out["number"] == "+447700900123" and opt_out["you texted"] == "STOP"
    assert "suppression record" in export.summary_html()


def test_erasure_deletes_their_texts_and_keeps_the_opt_out(anytown, otherton, dpl, history, texts):
    from labourhub.sms_models import SmsMessage, SmsOptOut

    person = privacy.person_linked(Person(anytown.constituency, frozenset({history["jane"].pk})))
    assert ("text messages sent", 2) in privacy.erasure_preview(person)  # as the erase page shows it
    result = person_erase(person=person, user=dpl, reason="SAR-19")
    assert ("text messages sent", 2) in result.removed
    assert set(SmsMessage.unscoped.values_list("body", flat=True)) == {
        "Today: Bob's leafleting",
        "Otherton's own reminder",  # another CLP's log is its own
    }
    assert SmsOptOut.objects.filter(number="+447700900123", opted_in_at__isnull=True).exists()


def test_export_lists_and_erasure_deletes_webhook_deliveries_that_name_them(
    anytown, otherton, dpl, history, texts
):
    from campaigns.webhooks import signup_emit
    from labourhub.webhooks.models import Delivery, EventType
    from labourhub.webhooks.services import Event, events_emit
    from tests.webhooks.factories import subscription_made

    jane, bob, member = history["jane"], history["bob"], history["member"]
    for clp in (anytown, otherton):
        subscription_made(clp, events=[t for t in EventType.values if t != EventType.PING])

    def emit(clp, event_type, key, **data):
        return events_emit(
            event_type=event_type,
            events=[
                Event(key=key, constituency_id=clp.constituency.pk, occurred_at=timezone.now(), data=data)
            ],
        )

    (contact,) = emit(
        anytown, EventType.CONTACT_RECORDED, "c1", contact_id=1, elector_id=jane.pk, channel="door"
    )
    (telling,) = emit(anytown, EventType.TELLING_RECORDED, "t1", telling_id=1, elector_id=jane.pk)
    (joined,) = emit(anytown, EventType.MEMBER_JOINED, "m1", member_id=member.pk, last_name="Privet")
    (signup,) = signup_emit(texts["signup"])
    (bobs,) = emit(anytown, EventType.CONTACT_RECORDED, "c2", contact_id=2, elector_id=bob.pk, channel="door")
    (others,) = emit(otherton, EventType.CONTACT_RECORDED, "c3", contact_id=3, elector_id=jane.pk)
    Delivery.unscoped.filter(pk__in=[contact, joined]).update(state=Delivery.State.DELIVERED)  # past ones too

    person = privacy.person_linked(Person(anytown.constituency, frozenset({jane.pk})))
    sent = _section(
        json.loads(subject_access_export(person=person, user=dpl).as_json()), "webhook_deliveries"
    )
    kinds = (
        EventType.CONTACT_RECORDED,
        EventType.TELLING_RECORDED,
        EventType.MEMBER_JOINED,
        EventType.SIGNUP_CREATED,
    )
    assert sorted(d["what"] for d in sent) == sorted(kind.label for kind in kinds)
    assert {d["data sent"].get("contact_id") for d in sent} == {1, None}  # not Bob's (2), not Otherton's (3)
    assert all(d["sent to"].endswith(")") and d["source"] for d in sent)
    assert ("webhook deliveries naming them", 4) in privacy.erasure_preview(person)
    result = person_erase(person=person, user=dpl, reason="SAR-20")
    assert ("webhook deliveries naming them", 4) in result.removed
    assert set(Delivery.unscoped.values_list("pk", flat=True)) == {bobs, others}
    assert not {contact, telling, joined, signup} & set(Delivery.unscoped.values_list("pk", flat=True))
