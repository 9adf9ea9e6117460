import pytest

from tests.casework.factories import AgencyFactory, office_of


@pytest.fixture
def office(anytown):
    return office_of(anytown)


@pytest.fixture
def other_office(otherton):
    return office_of(otherton)


@pytest.fixture
def dwp(db):
    return AgencyFactory(name="DWP", response_working_days=20)


@pytest.fixture(autouse=True)
def casework_files(settings, tmp_path, monkeypatch):
    """Casework's stored files go to this test's own folder (and so does a worker's, started after)."""
    folder = tmp_path / "casework-files"
    settings.CASEWORK_FILES_DIR = folder
    monkeypatch.setenv("CASEWORK_FILES_DIR", str(folder))
    return folder


@pytest.fixture
def imap_server():
    """A real dovecot IMAP server (tests/casework/dovecot.py); skipped, saying so, without it."""
    from tests.casework.dovecot import DOVECOT, Dovecot

    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; `make test` does it as root)")
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_tls_server():
    """The same dovecot, also offering IMAPS and STARTTLS with a certificate made for the test."""
    from tests.casework.dovecot import DOVECOT, Dovecot

    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; `make test` does it as root)")
    server = Dovecot(tls=True)
    server.start()
    yield server
    server.stop()
