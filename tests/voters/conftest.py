import pytest
from django.core.files import File

from tests.factories import UserFactory
from tests.postgres_crash import crashable_postgres  # noqa: F401 (a fixture for crash tests)
from voters.register_files import synthetic_people
from voters.services import register_import_create, register_import_run


def _operator():
    return UserFactory(email="operator@labourhub.example", is_superuser=True, is_staff=True)


@pytest.fixture
def run_import(tmp_path, anytown_secretary):
    """Import a file into a constituency the way the task does; returns the finished record."""

    def run(path, constituency, kind="full", **options):
        with open(path, "rb") as f:
            record = register_import_create(
                constituency=constituency,
                kind=kind,
                file=File(f, name=path.name),
                # Postcode locations are national: only the platform operator imports them.
                user=_operator() if kind == "postcodes" else anytown_secretary,
                options=options,
            )
        return register_import_run(register_import=record)

    return run


@pytest.fixture
def anytown_people(anytown):
    """300 Anytown electors in two polling districts (one of them Anytown's own)."""
    return list(synthetic_people(300, pds=[anytown.polling_district.code, "AT2"], town="Anytown"))
