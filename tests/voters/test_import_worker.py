"""Upload on the office page, the import runs in a real Celery worker, the page shows the result."""

import pytest
from django.urls import reverse

from voters.models import Elector, RegisterImport
from voters.register_files import write_register


@pytest.mark.django_db(transaction=True)
def test_upload_is_imported_by_the_worker(
    client, celery_worker, tmp_path, anytown, anytown_secretary, anytown_people
):
    path = write_register(tmp_path / "anytown.tsv", anytown_people, "idox", delimiter="\t", encoding="cp1252")
    client.force_login(anytown_secretary)
    with path.open("rb") as f:
        response = client.post(
            reverse("voters:imports"), {"constituency": anytown.constituency.pk, "kind": "full", "file": f}
        )
    record = RegisterImport.unscoped.get()
    assert response.url == reverse("voters:import", args=[record.pk])
    celery_worker.wait_for(lambda: RegisterImport.unscoped.get().is_finished)
    record.refresh_from_db()
    assert (record.status, record.added, record.rows_done, record.file_format) == ("done", 300, 300, "idox")
    assert Elector.unscoped.count() == 300
    page = client.get(reverse("voters:import_progress", args=[record.pk])).content.decode()
    assert "Added <strong>300</strong>" in page and "hx-trigger" not in page
