"""The static snapshot: the page and summary.json written after each check round to
STATUS_SNAPSHOT_DIR, each file atomically (a temporary file in the same folder, then a rename), so a
server reading the folder never sees half a file, and can serve the page while the application is down."""

import datetime
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from labourhub.status import report


def snapshot_write(*, now: datetime.datetime) -> Path | None:
    if not settings.STATUS_SNAPSHOT_DIR:
        return None
    folder = Path(settings.STATUS_SNAPSHOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    context = report.page_context(now=now)
    html = render_to_string("status/page.html", {**context, "snapshot": True})
    _write_atomically(folder / "summary.json", json.dumps(report.summary(context), indent=2))
    _write_atomically(folder / "index.html", html)
    return folder


def _write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # served by another process (nginx, rsync)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
