"""The register's pages: search, the single view of a voter, export, do-not-contact, imports, models."""

import csv
import io

import pytest
from django.urls import reverse

from labourhub.models import AuditEvent, Role
from tests.voters.factories import ContactFactory, ElectorFactory, PropertyFactory
from voters.models import Contact, Elector, ElectorMark, ElectorScore, ModelVersion, RegisterImport
from voters.register_files import write_register


@pytest.fixture
def anytown_organiser(anytown):
    """The register's pages are for roles with MFA; canvassers and tellers are refused them
    (tests/labourhub/test_least_privilege.py)."""
    return anytown.user(Role.ORGANISER)


@pytest.fixture
def home(anytown):
    return PropertyFactory(
        polling_district=anytown.polling_district,
        house_number=12,
        street="High Street",
        address="12 High Street, Anytown",
        postcode="AT12AB",
        postcode_display="AT1 2AB",
    )


@pytest.fixture
def voter(anytown, home):
    return ElectorFactory(
        home=home,
        polling_district=anytown.polling_district,
        surname="Anytownson",
        first_names="Ann",
        elector_number=123,
        elector_number_raw=f"{anytown.polling_district.code}-123",
    )


@pytest.mark.parametrize(
    "q", ["anytownson", "Ann Anytownson", "Anytownson, Ann", "AT1 2AB", "at1", "12 High Street", "high st"]
)
def test_search_finds_by_name_address_postcode(q, client, anytown_organiser, voter):
    client.force_login(anytown_organiser)
    response = client.get(reverse("voters:search"), {"q": q})
    assert response.status_code == 200
    assert list(response.context["page"]) == [voter]


def test_search_by_elector_number(client, anytown, anytown_organiser, voter):
    client.force_login(anytown_organiser)
    response = client.get(reverse("voters:search"), {"q": f"{anytown.polling_district.code.lower()}-123"})
    assert list(response.context["page"]) == [voter]


def test_search_is_scoped_and_audited(client, otherton_secretary, anytown_organiser, voter):
    client.force_login(otherton_secretary)
    assert list(client.get(reverse("voters:search"), {"q": "Anytownson"}).context["page"]) == []
    client.force_login(anytown_organiser)
    client.get(reverse("voters:search"), {"q": "Anytownson"})
    assert AuditEvent.objects.filter(
        action="elector.search", user=anytown_organiser, detail__found=1
    ).exists()


def test_search_query_count_is_fixed(client, anytown, anytown_organiser, django_assert_max_num_queries):
    for n in range(60):
        ElectorFactory(
            polling_district=anytown.polling_district,
            home__polling_district=anytown.polling_district,
            surname=f"Anytownson{n}",
        )
    client.force_login(anytown_organiser)
    with django_assert_max_num_queries(10):  # 9, and the MFA check an organiser (a role with MFA) passes
        response = client.get(reverse("voters:search"), {"q": "Anytownson"})
    assert response.context["page"].paginator.count == 60
    page = response.content.decode()
    shown = list(response.context["page"])
    assert shown and all(f">{e.surname}, " in page for e in shown)  # the rows are on the page


def test_elector_page_shows_everything_in_fixed_queries(
    client, anytown, anytown_organiser, voter, home, django_assert_max_num_queries
):
    partner = ElectorFactory(
        home=home, polling_district=anytown.polling_district, surname="Anytownson", first_names="Bob"
    )
    for channel in ["door", "phone", "sms", "email", "post", "event"] * 10:
        ContactFactory(
            elector=voter,
            channel=channel,
            by=anytown_organiser,
            campaign_label="Anytown autumn",
            outcome="spoke",
        )
    version = ModelVersion.unscoped.create(
        constituency=anytown.constituency, name="Support", score_names=["support"]
    )
    ElectorScore.unscoped.create(model_version=version, elector=voter, name="support", value=0.81)
    for n in range(5):
        source = RegisterImport.unscoped.create(
            constituency=anytown.constituency, kind="marked", file_name=f"m{n}.csv"
        )
        ElectorMark.unscoped.create(
            elector=voter, kind="voted", election=f"local.anytown.202{n}-05-04", source=source
        )
    client.force_login(anytown_organiser)
    # 11, the MFA check, and what was learnt (3 with a voting intention: tests/voters/test_learnt.py)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("voters:elector", args=[voter.pk]))
    page = response.content.decode()
    assert "Bob Anytownson" in page and partner.pk
    assert "0.81" in page and "Support" in page
    assert "local.anytown.2024-05-04" in page and "m4.csv" in page
    assert page.count("Anytown autumn") == 60
    assert "Contacted 60 times in the last 30 days (60 in all)" in page
    for label in ("Door", "Phone", "SMS", "Email", "Post", "Event"):
        assert f'<td data-label="How">{label}</td>' in page
    assert AuditEvent.objects.filter(action="elector.view", object_id=str(voter.pk)).count() == 1


def test_elector_page_is_404_for_another_clp(client, otherton_secretary, voter):
    client.force_login(otherton_secretary)
    assert client.get(reverse("voters:elector", args=[voter.pk])).status_code == 404


def test_do_not_contact_from_the_elector_page(client, anytown_organiser, voter):
    client.force_login(anytown_organiser)
    response = client.post(reverse("voters:elector_do_not_contact", args=[voter.pk]), {"reason": "Asked us"})
    assert response.status_code == 302
    voter.refresh_from_db()
    assert voter.do_not_contact and voter.do_not_contact_reason == "Asked us"
    assert not Elector.unscoped.contactable().exists()


def test_record_a_contact_from_the_elector_page(client, anytown_organiser, voter):
    client.force_login(anytown_organiser)
    client.post(reverse("voters:elector_contact", args=[voter.pk]), {"channel": "phone", "outcome": "spoke"})
    contact = Contact.unscoped.get()
    assert (contact.channel, contact.by, contact.outcome) == ("phone", anytown_organiser, "spoke")


def test_export_is_audited_scoped_and_escapes_formulas(client, anytown, anytown_secretary, voter):
    ElectorFactory(
        polling_district=anytown.polling_district,
        home__polling_district=anytown.polling_district,
        surname='=HYPERLINK("http://x")',
        first_names="+1",
    )
    client.force_login(anytown_secretary)
    response = client.get(reverse("voters:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["elector_id", "elector_number", "title"]
    assert len(rows) == 3
    assert {row[4] for row in rows[1:]} == {"Anytownson", '\'=HYPERLINK("http://x")'}
    assert all(row[-1] == "electoral register" for row in rows[1:])
    assert AuditEvent.objects.filter(action="elector.export", user=anytown_secretary, detail__rows=2).exists()


def test_canvassers_cannot_export(client, anytown_canvasser, voter):
    client.force_login(anytown_canvasser)
    assert client.get(reverse("voters:export")).status_code == 403


def test_progress_bar_polls_while_running(client, anytown, anytown_secretary):
    record = RegisterImport.unscoped.create(
        constituency=anytown.constituency,
        kind="full",
        file_name="a.csv",
        status="running",
        rows_total=1000,
        rows_done=250,
    )
    client.force_login(anytown_secretary)
    page = client.get(reverse("voters:import", args=[record.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="25"' in page


def test_upload_form_refuses_other_clps(client, tmp_path, anytown, otherton_secretary, anytown_people):
    path = write_register(tmp_path / "a.csv", anytown_people[:5], "xpress14")
    client.force_login(otherton_secretary)
    with path.open("rb") as f:
        response = client.post(
            reverse("voters:imports"), {"constituency": anytown.constituency.pk, "kind": "full", "file": f}
        )
    assert response.status_code == 200 and "constituency" in response.context["form"].errors
    assert not RegisterImport.unscoped.exists()


def test_model_version_page_lists_electors_by_score(client, anytown, anytown_organiser, voter):
    version = ModelVersion.unscoped.create(
        constituency=anytown.constituency, name="Turnout", score_names=["turnout"]
    )
    ElectorScore.unscoped.create(model_version=version, elector=voter, name="turnout", value=0.9)
    client.force_login(anytown_organiser)
    assert "Turnout" in client.get(reverse("voters:model_versions")).content.decode()
    response = client.get(
        reverse("voters:model_version", args=[version.pk]), {"score": "turnout", "min": 0.8}
    )
    assert list(response.context["page"]) == [voter]
    assert response.context["histogram"]["turnout"][0]["n"] == 1


def test_home_page_links(client, anytown_secretary):
    client.force_login(anytown_secretary)
    page = client.get("/").content.decode()
    assert reverse("voters:search") in page and reverse("voters:imports") in page


def test_admin_lists_electors_for_officers(client, anytown, voter):
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    response = client.get(reverse("admin:voters_elector_changelist"))
    assert response.status_code == 200 and b"Anytownson" in response.content


def test_admin_upload_creates_the_import_and_queues_it(
    client, tmp_path, anytown, anytown_secretary, anytown_people, django_capture_on_commit_callbacks
):
    path = write_register(tmp_path / "admin.csv", anytown_people[:5], "idox")
    client.force_login(anytown_secretary)
    with django_capture_on_commit_callbacks() as queued, path.open("rb") as f:
        response = client.post(
            reverse("admin:voters_registerimport_add"),
            {"constituency": anytown.constituency.pk, "kind": "full", "file": f, "options": "{}"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = RegisterImport.unscoped.get()
    assert (record.file_name, record.status, record.uploaded_by) == ("admin.csv", "queued", anytown_secretary)
    assert [callback.__module__ for callback in queued] == ["voters.services"]


def test_office_upload_creates_the_import_and_queues_it_from_the_service(
    client, tmp_path, anytown, anytown_secretary, anytown_people, django_capture_on_commit_callbacks
):
    path = write_register(tmp_path / "office.csv", anytown_people[:5], "idox")
    client.force_login(anytown_secretary)
    with django_capture_on_commit_callbacks() as queued, path.open("rb") as f:
        response = client.post(
            reverse("voters:imports"), {"constituency": anytown.constituency.pk, "kind": "full", "file": f}
        )
    record = RegisterImport.unscoped.get()
    assert response.status_code == 302 and record.status == "queued"
    assert [callback.__module__ for callback in queued] == ["voters.services"]


def test_admin_shows_an_existing_import_read_only(client, anytown, anytown_secretary):
    """The import's admin page was a 500 (KeyError: 'file') for everyone who could open it."""
    record = RegisterImport.unscoped.create(
        constituency=anytown.constituency, kind="full", file_name="anytown-register.csv", status="done"
    )
    client.force_login(anytown_secretary)
    response = client.get(reverse("admin:voters_registerimport_change", args=[record.pk]))
    assert response.status_code == 200 and b"anytown-register.csv" in response.content


def test_upload_over_the_size_limit_is_refused_before_storing(
    client, tmp_path, anytown, anytown_secretary, anytown_people, monkeypatch
):
    from voters.importers import base

    monkeypatch.setattr(base, "MAX_FILE_BYTES", 1000)  # a 2 GB upload, scaled down
    path = write_register(tmp_path / "big.csv", anytown_people[:50], "xpress14")
    client.force_login(anytown_secretary)
    with path.open("rb") as f:
        response = client.post(
            reverse("voters:imports"), {"constituency": anytown.constituency.pk, "kind": "full", "file": f}
        )
    assert "the limit is 0 MB" in response.context["form"].errors["file"][0]
    assert not RegisterImport.unscoped.exists()
