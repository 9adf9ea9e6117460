"""The source of every elector (issue 16, item 5): the register import that first brought them in,
kept when a later publication finds them again."""

from django.urls import reverse

from labourhub.models import Role
from voters.models import Elector
from voters.register_files import write_register


def test_each_elector_records_the_register_file_that_brought_them_in(
    tmp_path, anytown, anytown_people, run_import
):
    path = write_register(tmp_path / "first.csv", anytown_people[:50])
    first = run_import(path, anytown.constituency)
    assert first.status == "done", first.errors
    assert set(Elector.unscoped.values_list("source_import", flat=True)) == {first.pk}
    path = write_register(tmp_path / "second.csv", anytown_people[:80])
    second = run_import(path, anytown.constituency)
    assert second.status == "done", second.errors
    by_import = {}
    for source in Elector.unscoped.values_list("source_import", flat=True):
        by_import[source] = by_import.get(source, 0) + 1
    assert by_import == {first.pk: 50, second.pk: 30}


def test_the_electors_page_says_where_they_came_from(client, tmp_path, anytown, anytown_people, run_import):
    record = run_import(write_register(tmp_path / "first.csv", anytown_people[:5]), anytown.constituency)
    elector = Elector.unscoped.first()
    client.force_login(anytown.user(Role.CLP_SECRETARY))
    html = client.get(reverse("voters:elector", args=[elector.pk])).content.decode()
    assert f"The electoral register (register import #{record.pk}," in html
