"""Offline phones on polling day: the server-issued download time and the late-entry rule.

A teller's (or knocker's) page carries a signed token naming the user, the election and the
server time it was served. Entries typed offline send it back. When the user's TELL grant has
ended since, an entry is still accepted only if the page was downloaded while the grant was in
force and it arrives before the election stops taking tellings (close of poll + grace): the
phone's clock is never the evidence. This is the canvassing rule of the security issue applied
to polling day: `late_entry_allowed` calls the shared rule, campaigns.offline.late_entry_allowed.
"""

import datetime

from django.core import signing
from django.utils import timezone

from campaigns.offline import late_entry_allowed as shared_late_entry_allowed
from labourhub.scoping import Action

_SALT = "gotv.download"
MAX_AGE = datetime.timedelta(days=2)


def download_token_issue(*, user, election, now=None):
    """The token a page embeds; `download_time_read` gives back its server time."""
    now = now or timezone.now()
    return signing.dumps({"u": user.pk, "e": election.pk, "t": now.timestamp()}, salt=_SALT, compress=True)


def download_time_read(token, *, user, election):
    """The server time `token` was issued to `user` for `election`, or None if it is not one."""
    if not token or not isinstance(token, str):
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("u") != user.pk or data.get("e") != election.pk:
        return None
    return datetime.datetime.fromtimestamp(data["t"], tz=datetime.UTC)


def late_entry_allowed(*, user, election, downloaded_at, now=None, action=Action.TELL):
    """An entry from a user whose grant has ended: the shared rule for every offline page
    (campaigns.offline.late_entry_allowed: a server-issued download time at which the grant was in
    force, arriving within OFFLINE_LATE_ENTRY_HOURS of its end), and on polling day also before the
    election stops taking entries (close of poll + grace)."""
    now = now or timezone.now()
    if downloaded_at is None or downloaded_at > now:
        return False
    if now > election.tellings_accepted_until:
        return False
    return shared_late_entry_allowed(
        user=user, constituency=election.constituency, action=action, issued_at=downloaded_at, now=now
    ).allowed
