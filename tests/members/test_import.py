"""Membership imports: all or nothing, repeatable, line-level errors, missing members reported."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from members import services
from members.models import Consent, Member, MemberImport

HEADER = "Membership Number,Forename,Surname,Email,Postcode,Status,Joined,Branch,Email Opt-in\r\n"


def _csv(*lines, header=HEADER):
    return (header + "".join(line + "\r\n" for line in lines)).encode("utf-8")


def _import(anytown, tmp_path, data, name="members.csv", *extra):
    path = tmp_path / name
    path.write_bytes(data)
    out = io.StringIO()
    call_command(
        "import_members", str(path), "--constituency", anytown.constituency.gss_code, *extra, stdout=out
    )
    return out.getvalue()


def _rejected(anytown, tmp_path, data):
    """The command's error for a file it refuses; nothing was imported."""
    with pytest.raises(CommandError) as error:
        _import(anytown, tmp_path, data)
    assert not Member.unscoped.exists()
    return str(error.value)


@pytest.fixture
def branch(anytown):
    from tests.factories import BranchFactory

    return BranchFactory(constituency=anytown.constituency, name="Castle branch", code="AC")


def test_import_adds_members_with_their_consent_and_guesses_the_columns(anytown, tmp_path, branch):
    out = _import(
        anytown,
        tmp_path,
        _csv(
            "A100001,Ann,Anytownley,ann@anytown.example,an1 1aa,current,01/02/2020,Castle branch,yes",
            "A100002,Bob,Anytownby,,AN1 1AB,arrears,2021-03-04,AC,no",
        ),
    )
    assert "2 added, 0 changed, 0 unchanged" in out
    ann = Member.unscoped.get(membership_number="A100001")
    assert (ann.postcode, ann.branch, str(ann.joined_on)) == ("AN1 1AA", branch, "2020-02-01")
    assert ann.consent_email is True
    assert ann.consents.get().source == "import"
    assert Member.unscoped.get(membership_number="A100002").status == "arrears"


def test_importing_the_same_file_again_changes_nothing(anytown, tmp_path, branch):
    data = _csv("A100001,Ann,Anytownley,ann@anytown.example,AN1 1AA,current,2020-01-01,,yes")
    _import(anytown, tmp_path, data)
    before = Member.unscoped.values().get()
    assert "0 added, 0 changed, 1 unchanged" in _import(anytown, tmp_path, data)
    assert Member.unscoped.values().get() == before
    assert Consent.unscoped.count() == 1


def test_one_bad_line_imports_nothing_and_every_problem_is_named_by_line(anytown, tmp_path):
    data = _csv(
        "A100001,Ann,Anytownley,not-an-email,AN1 1AA,current,2020-01-01,,yes",
        "A100002,Bob,Anytownby,,AN1 1AB,current,31/02/2020,,no",
        "A100003,Cat,Anytowner,,AN1 1AB,retired,,,no",
        "A100001,Ann,Again,,AN1 1AB,current,,,no",
        "A100004,Dan,Anytowne,,,current,,Nowhere,no",
    )
    message = _rejected(anytown, tmp_path, data)
    assert "line 2: email 'not-an-email' is not a valid address" in message
    assert "line 3: '31/02/2020' is not a date" in message
    assert "line 4: status 'retired' is not one of current, arrears, lapsed" in message
    assert "line 5: membership number A100001 is also on line 2" in message
    assert "line 6: branch 'Nowhere' is not a branch of this CLP" in message
    assert not Member.unscoped.exists()
    assert MemberImport.unscoped.get().state == MemberImport.State.REJECTED


def test_windows_1252_file_with_a_non_breaking_space_reads(anytown, tmp_path):
    data = _csv("A100001,Zoë,O’Anytown,,AN1\u00a01AA,current,,,no").decode().encode("cp1252")
    _import(anytown, tmp_path, data)
    member = Member.unscoped.get()
    assert (member.first_name, member.last_name, member.postcode) == ("Zoë", "O’Anytown", "AN1 1AA")


def test_a_mapped_column_missing_from_the_file_is_a_clear_error(anytown, tmp_path):
    with pytest.raises(CommandError, match=r"not in the file: 'Member ID' \(for membership number\)"):
        _import(
            anytown,
            tmp_path,
            _csv("A1,Ann,Anytownley,,,,,,"),
            "m.csv",
            "--map",
            "membership_number=Member ID",
        )
    assert not Member.unscoped.exists()


def test_a_file_without_a_required_column_says_which(anytown, tmp_path):
    with pytest.raises(CommandError, match="Map a column to each of: Last name"):
        _import(anytown, tmp_path, _csv("A1,Ann", header="Membership number,First name,Shoe size\r\n"))


def test_members_missing_from_the_new_file_are_reported_not_deleted(anytown, tmp_path):
    _import(anytown, tmp_path, _csv("A100001,Ann,Anytownley,,,,,,", "A100002,Bob,Anytownby,,,,,,"))
    out = _import(anytown, tmp_path, _csv("A100001,Ann,Anytownley,,,,,,"))
    assert "1 members of the CLP are not in the file (kept, not deleted)" in out
    assert Member.unscoped.count() == 2
    assert MemberImport.unscoped.first().report["missing_sample"] == ["A100002"]


def test_an_unsubscribe_survives_the_next_export(anytown, tmp_path):
    data = _csv("A100001,Ann,Anytownley,ann@anytown.example,,current,,,yes")
    _import(anytown, tmp_path, data)
    ann = Member.unscoped.get()
    services.consent_record(member=ann, channel="email", granted=False, wording="Asked us", source="officer")
    _import(anytown, tmp_path, data)
    ann.refresh_from_db()
    assert ann.consent_email is False


def test_changed_details_are_updated_and_counted(anytown, tmp_path):
    _import(anytown, tmp_path, _csv("A100001,Ann,Anytownley,,,current,,,"))
    out = _import(anytown, tmp_path, _csv("A100001,Ann,Anytownley,,,lapsed,,,"))
    assert "0 added, 1 changed" in out
    assert Member.unscoped.get().status == "lapsed"


def test_xlsx_import_with_a_saved_mapping(anytown, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["No.", "Given", "Family", "Mail"])
    sheet.append(["A100009", "Eve", "Anytownson", "eve@anytown.example"])
    buffer = io.BytesIO()
    book.save(buffer)
    maps = ["--map", "membership_number=No.", "--map", "first_name=Given", "--map", "last_name=Family"]
    maps += ["--map", "email=Mail", "--mapping", "Party export"]
    _import(anytown, tmp_path, buffer.getvalue(), "members.xlsx", *maps)
    assert Member.unscoped.get().email == "eve@anytown.example"
    # Next time the saved mapping is enough.
    sheet.append(["A100010", "Fay", "Anytownson", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    assert "1 added" in _import(
        anytown, tmp_path, buffer.getvalue(), "members.xlsx", "--mapping", "Party export"
    )


def test_a_line_with_too_many_columns_is_named(anytown, tmp_path):
    with pytest.raises(CommandError, match="line 3: extra data after last expected column"):
        _import(anytown, tmp_path, _csv("A100001,Ann,Anytownley,,,,,,", "A100002,Bob,Anytownby,,,,,,,,,,"))
    assert not Member.unscoped.exists()


def test_member_links_hold_without_database_foreign_keys(anytown, otherton, tmp_path, branch):
    """A member's constituency, branch, ward and elector, and a consent's member, have no database
    foreign key (they cost a quarter of a 500k-row import at commit): the importer links only this
    CLP's branches and wards, and Django's on_delete still keeps every link whole."""
    from django.db.models import ProtectedError

    from tests.factories import BranchFactory, WardFactory
    from tests.voters.factories import ElectorFactory

    ward = WardFactory(constituency=anytown.constituency, name="Castle ward")
    BranchFactory(constituency=otherton.constituency, name="Castle branch", code="AC")  # same words elsewhere
    WardFactory(constituency=otherton.constituency, name="Castle ward")
    header = "Membership Number,Forename,Surname,Email,Branch,Ward,Email Opt-in\r\n"
    _import(
        anytown,
        tmp_path,
        _csv("A100001,Ann,Anytownley,ann@anytown.example,AC,Castle ward,yes", header=header),
    )
    ann = Member.unscoped.get()
    assert (ann.constituency, ann.branch, ann.ward) == (anytown.constituency, branch, ward)
    assert Consent.unscoped.get().member == ann
    elector = ElectorFactory()
    Member.unscoped.filter(pk=ann.pk).update(elector=elector)

    elector.delete()
    branch.delete()
    ward.delete()
    ann.refresh_from_db()
    assert (ann.elector_id, ann.branch_id, ann.ward_id) == (None, None, None)
    with pytest.raises(ProtectedError) as refused:
        anytown.constituency.delete()
    assert ann in refused.value.protected_objects
    ann.delete()
    assert not Consent.unscoped.exists()


def test_membership_numbers_are_up_to_two_letters_and_ten_digits(anytown, tmp_path):
    data = _csv(
        "AB1234567890,Ann,Anytownley,,,,,,",
        "ABC1,Bob,Anytownby,,,,,,",
        "A12345678901,Cat,Anytowner,,,,,,",
        "1A,Dan,Anytowne,,,,,,",
    )
    message = _rejected(anytown, tmp_path, data)
    assert "line 2" not in message
    for line, number in [(3, "ABC1"), (4, "A12345678901"), (5, "1A")]:
        assert f"line {line}: membership number '{number}' is not a letter and digits" in message


def test_spaces_around_coded_values_are_ignored(anytown, tmp_path, branch):
    _import(anytown, tmp_path, _csv('a 100001,Ann,Anytownley,, an1 1aa , Lapsed ,2020-01-01 ," AC ", YES '))
    ann = Member.unscoped.get()
    assert (ann.membership_number, ann.status, ann.branch, ann.consent_email) == (
        "A100001",
        "lapsed",
        branch,
        True,
    )
    assert ann.postcode == "AN1 1AA"


def test_an_over_long_name_is_cut_to_its_column_and_an_over_long_email_is_a_line_error(anytown, tmp_path):
    long_name = "Anytown" + "n" * 150
    long_email = "a" * 250 + "@anytown.example"
    with pytest.raises(CommandError, match="line 3: email '" + long_email + "' is not a valid address"):
        _import(
            anytown,
            tmp_path,
            _csv(f"A100001,Ann,{long_name},,,,,,", f"A100002,Bob,Anytownby,{long_email},,,,,"),
        )
    _import(anytown, tmp_path, _csv(f"A100001,Ann,{long_name},,,,,,"))
    assert Member.unscoped.get().last_name == long_name[:100]
