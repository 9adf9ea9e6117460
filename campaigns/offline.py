"""Entries made offline that reach the server after the person's role ended: one rule for every
offline page (the canvassing page now; polling-day telling next).

A phone works with no signal, so an answer typed while a canvasser still held their role may arrive
after the role was revoked or expired; it must not be lost. But the phone's `recorded_at` is a client
clock: trusting it let anyone who once held the role write forever by backdating. So the rule rests
only on what the server itself recorded: the time it served the data to that person (for a pack, a
`PackDownload` row, whose token the phone sends back with each answer), and the grant's end.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.templatetags.static import static
from django.utils import timezone

from labourhub.models import Grant
from labourhub.scoping import ROLES_FOR


@dataclass(frozen=True)
class LateEntry:
    allowed: bool
    reason: str = ""
    grant_ended_at: datetime | None = None


def late_entry_allowed(*, user, constituency, action, issued_at, recorded_at=None, now=None):
    """May `user`, whose grants for `action` no longer cover `constituency`, still send an entry
    made offline from data the server issued to them at `issued_at`? Returns a `LateEntry`.

    Allowed only when all of these hold:

    - `issued_at` is a server time recorded when the data was served to this user (e.g.
      `PackDownload.issued_at`, found by the token the phone sends), never a time the phone sends;
      None (no such record) is refused;
    - a grant for `action` covering `constituency` was in force at `issued_at`: the phone had the
      data while the person held the role;
    - that grant has ended (revoked or expired; a grant still in force while the user may not act,
      e.g. a deactivated account, is refused), and now is at most
      `settings.OFFLINE_LATE_ENTRY_HOURS` after its end (the latest end, when several qualify);
    - the phone's own `recorded_at`, when given, is not after that end (the phone itself says the
      entry was made once the role had ended).

    Callers refuse everything else and log the refusal in the audit log; what is allowed is kept
    with a flag saying the grant has ended.
    """
    now = now or timezone.now()
    if issued_at is None:
        return LateEntry(False, "this phone never downloaded it while your access was valid")
    in_force = (
        Grant.all_objects.filter(user=user, role__in=ROLES_FOR[action], starts_at__lte=issued_at)
        .covering(constituency)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=issued_at))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=issued_at))
    )
    ends = []
    for grant in in_force:
        end = min((t for t in (grant.revoked_at, grant.expires_at) if t is not None), default=None)
        if end is None or end > now:
            return LateEntry(False, "your account may not send answers now")
        ends.append(end)
    if not ends:
        return LateEntry(False, "it was downloaded after your access ended")
    ended_at = max(ends)
    hours = settings.OFFLINE_LATE_ENTRY_HOURS
    if now > ended_at + timedelta(hours=hours):
        return LateEntry(False, f"your access ended more than {hours} hours ago", ended_at)
    if recorded_at is not None and recorded_at > ended_at:
        return LateEntry(False, "it was recorded after your access ended", ended_at)
    return LateEntry(True, "", ended_at)


def service_worker_response(*, shell, pages, cache, scope):
    """The one offline service worker (static/campaigns/sw.js) for a family of offline pages: the
    canvassing page, the teller's page, the knocker's pack. `shell` names the static files to keep,
    `pages` is a regex of the page paths to keep, `cache` the cache name ("lh-<family>-v<n>"), and
    `scope` the URL path it may control (it is served from inside that path)."""
    path = finders.find("campaigns/sw.js")
    if path is None:
        raise Http404("sw.js is missing")
    with open(path, encoding="utf-8") as source:
        script = source.read()
    head = (
        f"const SHELL = {json.dumps([static(name) for name in shell])};\n"
        f"const PAGES = new RegExp({json.dumps(pages)});\n"
        f"const CACHE = {json.dumps(cache)};\n"
    )
    response = HttpResponse(head + script, content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = scope
    return response
