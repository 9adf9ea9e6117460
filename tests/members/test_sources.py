"""The source of every member record (issue 16, item 5): a membership export names the import that
brought the member in; any other way in says so."""

from members.models import Member, MemberImport, Source
from tests.members.factories import MemberFactory
from tests.members.test_import import _csv, _import


def test_an_imported_member_records_the_export_it_came_from(anytown, tmp_path):
    _import(
        anytown, tmp_path, _csv("A100001,Ann,Anytownley,ann@anytown.example,AN1 1AA,current,01/02/2020,,yes")
    )
    member = Member.unscoped.get(membership_number="A100001")
    assert member.source == Source.IMPORT
    assert member.source_import == MemberImport.unscoped.get()


def test_an_update_from_a_later_export_keeps_the_first_source(anytown, tmp_path):
    line = "A100001,Ann,Anytownley,ann@anytown.example,AN1 1AA,current,01/02/2020,,yes"
    _import(anytown, tmp_path, _csv(line))
    first = MemberImport.unscoped.get()
    _import(anytown, tmp_path, _csv(line.replace("Ann,", "Anne,")), "later.csv")
    member = Member.unscoped.get(membership_number="A100001")
    assert member.first_name == "Anne" and member.source_import == first


def test_a_member_added_any_other_way_is_manual_until_it_says_otherwise(anytown):
    assert MemberFactory(constituency=anytown.constituency).source == Source.MANUAL


def test_the_member_page_says_where_the_record_came_from(client, anytown, tmp_path):
    from django.urls import reverse

    from labourhub.models import Role

    _import(
        anytown, tmp_path, _csv("A100001,Ann,Anytownley,ann@anytown.example,AN1 1AA,current,01/02/2020,,yes")
    )
    member = Member.unscoped.get(membership_number="A100001")
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert f"Membership export (membership import #{member.source_import_id})" in html
