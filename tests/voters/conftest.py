import pytest
from django.core.files import File

from voters.register_files import synthetic_people
from voters.services import register_import_create, register_import_run


@pytest.fixture
def run_import(tmp_path, anytown_secretary):
    """Import a file into a constituency the way the task does; returns the finished record."""

    def run(path, constituency, kind="full", **options):
        with open(path, "rb") as f:
            record = register_import_create(
                constituency=constituency,
                kind=kind,
                file=File(f, name=path.name),
                user=anytown_secretary,
                options=options,
            )
        return register_import_run(register_import=record)

    return run


@pytest.fixture
def anytown_people(anytown):
    """300 Anytown electors in two polling districts (one of them Anytown's own)."""
    return list(synthetic_people(300, pds=[anytown.polling_district.code, "AT2"], town="Anytown"))
