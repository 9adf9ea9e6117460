"""Bad input never gives a 500: every search and filter and every upload answers with what is wrong
(a form error, a rejected import naming the line), with memory bounded. The NUL byte cases are the
ones the security review found (issue #10, item 9); hypothesis then throws arbitrary text and files at
each path. The Django test client re-raises a view's exception, so a 500 fails the test with it."""

import io
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labourhub.models import Role
from members import importers as member_importers
from members.models import MemberImport
from tests.access.factories import canvassing_tool
from tests.memory import memory_bound
from voters.models import RegisterImport
from voters.register_files import LAYOUTS
from voters.services import register_import_run

# (url name, the query parameters searched, the role that reaches the search)
SEARCHES = [
    ("voters:search", ["q", "page"], Role.CLP_SECRETARY),
    ("voters:export", ["q"], Role.CLP_SECRETARY),
    ("access:endorser_queue", ["q", "page"], Role.CLP_SECRETARY),
    ("access:reviewer_queue", ["q", "page"], Role.REGIONAL_STAFF),
    ("access:audit", ["q", "user", "action", "constituency", "since", "until", "page"], Role.REGIONAL_STAFF),
    ("access:audit_export", ["q", "user", "action", "since", "until"], Role.REGIONAL_STAFF),
    ("access:conditions", ["tool", "constituency", "for_email"], Role.CLP_SECRETARY),
    ("members:list", ["q", "status", "branch", "joined_since", "page"], Role.CLP_SECRETARY),
    ("members:export", ["q", "union", "consent"], Role.CLP_SECRETARY),
    ("members:volunteers", ["q", "skill", "available", "page"], Role.CLP_SECRETARY),
    ("members:letters", ["letter", "q"], Role.CLP_SECRETARY),
    ("campaigns:relations", ["q"], Role.CANVASSER),
]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as a query string can carry it: anything but lone surrogates.
QUERY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300) | st.sampled_from(
    ["\x00", "a\x00b", "x" * 5000, "%", "_", "\\", "'; DROP TABLE x; --", "=1+1", "２０２６", "\ufeff"]
)


@pytest.fixture
def searchers(anytown, regional_officer):
    canvassing_tool()  # a tool with endorsers and approvers, so the queues are open to them
    return {role: regional_officer if role == Role.REGIONAL_STAFF else anytown.user(role) for role in Role}


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(("name", "params", "role"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_a_nul_byte_in_a_search_is_a_clear_answer_not_a_500(client, searchers, name, params, role):
    client.force_login(searchers[role])
    response = client.get(reverse(name), {params[0]: "Anytown\x00son"})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400 or b"Null characters are not allowed" in _body(response):
        return
    # Pages that ignore the parameter (or treat it as text) answer normally.
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name", ["voters:search", "voters:export", "access:endorser_queue", "access:reviewer_queue"]
)
def test_the_searches_the_review_found_say_what_is_wrong(client, searchers, name):
    role = Role.REGIONAL_STAFF if name == "access:reviewer_queue" else Role.CLP_SECRETARY
    client.force_login(searchers[role])
    response = client.get(reverse(name), {"q": "Anytown\x00son"})
    assert response.status_code == 400
    assert b"Search: Null characters are not allowed." in _body(response)


def test_searches_and_filters_never_fail_on_any_text(client, searchers):
    def check(name, params, role, values):
        client.force_login(searchers[role])
        response = client.get(reverse(name), dict(zip(params, values, strict=False)))
        assert response.status_code in (200, 400, 403), (name, values, response.status_code)
        _body(response)

    def fuzz(name, params, role):
        @settings(FUZZ, max_examples=10)
        @given(st.lists(QUERY_TEXT, min_size=1, max_size=len(params)))
        def run(values):
            check(name, params, role, values)

        run()

    with memory_bound(200) as peak:
        for name, params, role in SEARCHES:
            fuzz(name, params, role)
    print(f"searches: memory rose {peak.rise_mb} MB")


# --- Uploads ------------------------------------------------------------------------------------

XPRESS = ",".join(LAYOUTS["xpress14"][0])
MEMBERS = "Membership Number,Forename,Surname,Email,Postcode,Status,Joined"
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "shift_jis", "latin-1"]


@st.composite
def text_files(draw, headers):
    """Files that look almost right: a known header (or garbage), rows of arbitrary fields, in some
    encoding, with odd line endings, NUL bytes, very long fields; or plain random bytes."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=3000))
    header = draw(st.sampled_from([*headers, "", "a,b,c", "x" * 70_000]))
    cell = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40) | st.sampled_from(
        ["", '"', '"a,b"', "\x00", "\r", "A100001", "AN1-1", "AT1 1AA", "01/02/2020", "y" * 200_000]
    )
    rows = draw(st.lists(st.lists(cell, max_size=16), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    delimiter = draw(st.sampled_from([",", "\t"]))
    text = newline.join([header.replace(",", delimiter), *(delimiter.join(r) for r in rows)])
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@pytest.mark.django_db
def test_register_uploads_never_fail_on_any_file(client, anytown, anytown_secretary, admin_user):
    headers = [XPRESS, ",".join(LAYOUTS["idox"][0]), "Elector Number,Surname,Absent Type", "Elector Number"]
    headers += ["Elector Number,support,turnout", "pcds,lat,long,doterm"]
    kinds = {"full": {}, "update": {}, "scores": {"model": "Fuzz"}}
    kinds |= dict.fromkeys(["marked", "postal"], {"election": "parl.2024-07-04"})

    def check(data, kind, as_operator):
        user = admin_user if as_operator else anytown_secretary
        client.force_login(user)
        form = {"constituency": anytown.constituency.pk, "kind": kind, **kinds.get(kind, {})}
        if kind == "postcodes":
            form = {"kind": kind, "postcode_column": "pcds", "latitude_column": "lat"}
            form |= {"longitude_column": "long", "terminated_column": "doterm"}
        response = client.post(reverse("voters:imports"), {**form, "file": SimpleUploadedFile("f.csv", data)})
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            record = RegisterImport.unscoped.latest("pk")
            record = register_import_run(register_import=record)
            assert record.status in (RegisterImport.Status.DONE, RegisterImport.Status.REJECTED)
            assert record.status == RegisterImport.Status.DONE or record.errors
            client.get(reverse("voters:import_progress", args=[record.pk]))

    with memory_bound(250) as peak:
        settings(FUZZ, max_examples=25)(
            given(
                text_files(headers),
                st.sampled_from(["full", "update", "marked", "postal", "scores", "postcodes"]),
                st.booleans(),
            )(check)
        )()
    print(f"register uploads: memory rose {peak.rise_mb} MB")


def test_member_uploads_never_fail_on_any_file(client, anytown, anytown_secretary):
    client.force_login(anytown_secretary)
    outcomes = []

    def check(data, name):
        response = client.post(
            reverse("members:import_upload"),
            {"constituency": anytown.constituency.pk, "file": SimpleUploadedFile(name, data)},
        )
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert response.context["form"].errors
            outcomes.append("refused")
            return
        mapper = client.get(response.url)
        assert mapper.status_code in (200, 302)
        if mapper.status_code != 200:
            return
        headers = [h for h, _ in mapper.context["form"].fields["col_membership_number"].choices if h]
        pick = (headers * 3)[:3]
        mapped = client.post(
            response.url,
            {"mapping_name": "Fuzz"}
            | (
                {"col_membership_number": pick[0], "col_first_name": pick[1], "col_last_name": pick[2]}
                if pick
                else {}
            ),
        )
        assert mapped.status_code in (200, 302)
        member_import = MemberImport.unscoped.latest("pk")
        if member_import.mapping_id:
            member_import = member_importers.member_import_run(import_id=member_import.pk)
            assert member_import.state in (MemberImport.State.DONE, MemberImport.State.REJECTED)
            outcomes.append(member_import.state)
            assert client.get(reverse("members:import_detail", args=[member_import.pk])).status_code == 200

    with memory_bound(250) as peak:
        settings(FUZZ, max_examples=25)(
            given(
                text_files([MEMBERS, "Member No,First,Surname"])
                | st.builds(_workbook, st.lists(st.text(max_size=30))),
                st.sampled_from(["members.csv", "members.xlsx", "members.tsv"]),
            )(check)
        )()
    print(f"member uploads: memory rose {peak.rise_mb} MB; {Counter(outcomes)}")


def _workbook(cells):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    book.active.append(MEMBERS.split(","))
    for n in range(0, len(cells), 4):  # control characters a workbook cannot hold are left out
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in cells[n : n + 4]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_area_files_never_crash_the_loader(tmp_path, westland):
    """Areas are loaded by the operator's command (there is no upload page): a bad file is a
    CommandError naming the problem, never a traceback."""
    from django.core.management import CommandError, call_command

    path = tmp_path / "areas.csv"

    def check(data):
        path.write_bytes(data)
        try:
            call_command("load_areas", str(path), stdout=io.StringIO())
        except CommandError as error:
            assert str(error)

    header = "kind,name,code,parent_code"
    with memory_bound(100):
        settings(FUZZ, max_examples=25)(
            given(text_files([header, f"{header}\nregion,Westland,E15000099,"]))(check)
        )()


def test_an_area_file_in_neither_encoding_is_a_command_error_naming_the_line(tmp_path, westland):
    """Found by the fuzz test above: it was a UnicodeDecodeError traceback."""
    from django.core.management import CommandError, call_command

    path = tmp_path / "areas.csv"
    path.write_bytes(b"kind,name,code,parent_code\n\x81\x80")
    with pytest.raises(CommandError) as error:
        call_command("load_areas", str(path), stdout=io.StringIO())
    assert str(error.value) == (
        f"{path}, line 2: byte 0x81 is neither UTF-8 nor Windows-1252. Save the file as CSV (UTF-8)."
    )


def test_an_area_file_with_old_mac_line_endings_loads(tmp_path, westland):
    """Found by the fuzz test above: lines ending in \\r alone were a csv.Error traceback."""
    from django.core.management import call_command

    from labourhub.models import Constituency

    path = tmp_path / "areas.csv"
    path.write_bytes(b"kind,name,code,parent_code\rconstituency,Newtown,E14000999,E15000099\r")
    call_command("load_areas", str(path), stdout=io.StringIO())
    assert Constituency.objects.get(gss_code="E14000999").name == "Newtown"
