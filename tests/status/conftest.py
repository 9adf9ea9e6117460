import pytest


@pytest.fixture
def status_checks(live_server, settings, tmp_path, monkeypatch):
    """Check rounds go through the live server, and write their snapshot to a folder of this test's
    (for this process, and for a worker started after this fixture)."""
    snapshot = tmp_path / "status-snapshot"
    settings.STATUS_CHECK_BASE_URL = live_server.url
    settings.STATUS_SNAPSHOT_DIR = str(snapshot)
    monkeypatch.setenv("STATUS_CHECK_BASE_URL", live_server.url)
    monkeypatch.setenv("STATUS_SNAPSHOT_DIR", str(snapshot))
    monkeypatch.setenv("ALLOWED_HOSTS", "127.0.0.1,localhost,localhost.localdomain")
    return snapshot
