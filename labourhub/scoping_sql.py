"""labourhub.scoping's answers for the hottest requests, with Django's SQL compiled once per process.
`scoping.can` (so `require`, and the API's grant check) runs through here on every page, and
labourhub.session_auth asks `mfa_missing_sql` with the signed-in user's row.

Why: on polling day a telling is one request, and building and compiling the scoping querysets
(`constituencies_for`, and the MFA middleware's two look-ups) cost the ORM more CPU than everything
else the request does together (issue 13, "Performance"; profiled in the README's polling-day
section). The SQL those querysets compile to depends only on the action, never on who asks: for an
active, non-superuser user, the user appears in it only as its primary key, and time only as "now".

How: the first call for an action compiles labourhub.scoping's own queryset for a template user
whose primary key is a sentinel, and keeps the SQL text with its parameters; each call after puts
this user's primary key where the sentinel was and the current time where a time was. The rule is
still scoping's: nothing is written twice, and a change there is picked up on the next process
(or at once: the cache is keyed by the function object, so a test that patches
`scoping.constituencies_for` gets its patched rule). Compiling checks that assumption (two
template users must give the same SQL with only the primary key changed; every time parameter
must be "now"), and tests/labourhub/test_scoping_sql.py compares the answers with scoping's for
every kind of grant (live, revoked, expired, not yet started, regional, another user's).

What is cached: SQL text and constants (role names) only, never an answer: every call runs the
statement, so a grant revoked a moment ago is refused on the next request. Users the template does
not fit (signed out, inactive, superusers) get scoping's queryset compiled as before.

Why the SQL is safe: it is Django's compilation of scoping's querysets; the values put back are a
user's integer primary key and a datetime, both passed as bound parameters, never into the text;
or, for a rule asked inside the statement that finds the user, a UserColumn: constant text naming a
column of that statement (labourhub/api_v1/token_sql.py).
"""

import datetime
import re

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

from labourhub import scoping
from labourhub.models import User

_SENTINELS = (-7_000_000_013, -7_000_000_017)  # primary keys no user has
_templates = {}


def _compile(queryset):
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return "SELECT NULL::bigint AS pk WHERE false", ()


def _template_user(pk):
    """Two template users differ in every field a rule could read, so reading one shows."""
    return User(
        pk=pk,
        email=f"template{-pk}@scoping.invalid",
        full_name=f"Template {-pk}",
        password=str(pk),
        date_joined=datetime.datetime(2000 + pk % 7, 1, 1, tzinfo=datetime.UTC),
        is_active=True,
        is_superuser=False,
    )


def _template(key, build):
    """(sql, params) of build(template user), checked to depend on the user only through its pk."""
    found = _templates.get(key)
    if found is not None:
        return found
    started = timezone.now()
    compiled = [_compile(build(_template_user(pk))) for pk in _SENTINELS]
    (sql, params), (other_sql, other_params) = compiled
    times = [p for p in params if isinstance(p, datetime.datetime)]
    if (
        sql != other_sql
        or len(params) != len(other_params)
        or any(
            (a, b) != _SENTINELS and a != b and not isinstance(a, datetime.datetime)
            for a, b in zip(params, other_params, strict=True)
        )
        or any(not started <= t <= timezone.now() for t in times)
    ):
        raise RuntimeError(f"scoping_sql: {key[1:]} no longer depends on the user only through its pk.")
    _templates[key] = found = (sql, tuple(params))
    return found


class UserColumn(str):
    """The user as a column of the caller's own statement (e.g. an API token's `u.id`), for a rule
    asked inside the statement that finds the user: its SQL gets this text where the user's primary
    key would be bound."""


_PLACEHOLDER = re.compile(r"%%|%s")


def _bind(params, user_pk, now):
    return [user_pk if p == _SENTINELS[0] else now if isinstance(p, datetime.datetime) else p for p in params]


def _bound(sql, params, user_pk, now):
    """(sql, params) of a template for the user `user_pk`: an integer is bound as a parameter, a
    UserColumn written into the text in place of the sentinel's placeholder."""
    if not isinstance(user_pk, UserColumn):
        return sql, _bind(params, user_pk, now)
    values, kept = iter(_bind(params, _SENTINELS[0], now)), []

    def put(placeholder):
        if placeholder.group() == "%%":
            return "%%"
        value = next(values)
        if value == _SENTINELS[0]:
            return user_pk
        kept.append(value)
        return "%s"

    return _PLACEHOLDER.sub(put, sql), kept


def _fits(user):
    return user.is_authenticated and user.is_active and not user.is_superuser


def constituencies_sql(user, action):
    """(sql, params): `SELECT id` of scoping.constituencies_for(user, action), for use as a subquery.
    `user` may be a UserColumn: the rule for an active user who is not a superuser, whoever the
    column names (the caller's statement must answer for the others itself)."""
    rule = scoping.constituencies_for
    if not isinstance(user, UserColumn) and not _fits(user):
        return _compile(rule(user, action).values("pk"))
    sql, params = _template((rule, "constituencies_for", action), lambda u: rule(u, action).values("pk"))
    return _bound(sql, params, user if isinstance(user, UserColumn) else user.pk, timezone.now())


_ROW = -7_000_000_019  # a primary key no row has: where the row asked about goes


def row_for_user_sql(model, action, user, pk):
    """(sql, params): `SELECT pk` of `model.objects.for_user(user, action)` narrowed to the row `pk`:
    the model's own scoping rule (a pack's: organisers, the canvasser it is given to, a visiting
    activist's) for one row, compiled once per process (issue 18: compiling the pack rule was a
    third of an API write's Python)."""
    rows = model.unscoped._queryset_class
    if not _fits(user):
        return _compile(model.objects.for_user(user, action).filter(pk=pk).values("pk"))
    sql, params = _template(
        (rows.for_user, "row_for_user", model, action),
        lambda u: model.objects.for_user(u, action).filter(pk=_ROW).values("pk"),
    )
    return sql, [pk if p == _ROW else p for p in _bind(params, user.pk, timezone.now())]


def narrowed_to(sql, params, constituency_pk):
    """(sql, params) of `constituencies_sql`'s rows that are the constituency `constituency_pk`."""
    return f"SELECT * FROM ({sql}) AS allowed WHERE allowed.pk = %s", [*params, constituency_pk]  # noqa: S608  (compiled by this module)


def exists(sql, params):
    """Whether the compiled SQL of `constituencies_sql` / `row_for_user_sql` finds a row."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", params)  # noqa: S608  (compiled by this module)
        return bool(cursor.fetchone()[0])


def mfa_missing_sql(user_pk, is_superuser):
    """(sql, params): a boolean expression, scoping.needs_mfa for the user `user_pk` (a primary key,
    or a UserColumn) and no TOTP authenticator set up; `is_superuser` is SQL text (a column, or `%s`
    with the value first in params) as the user's own row holds it."""
    from allauth.mfa.models import Authenticator

    rule = scoping.grants_needing_mfa
    grants_sql, grants_params = _template((rule, "mfa grants"), lambda u: rule(u).values("pk"))
    totp_sql, totp_params = _template(
        (Authenticator.Type.TOTP, "totp"),
        lambda u: Authenticator.objects.filter(user=u, type=Authenticator.Type.TOTP).values("pk"),
    )
    now = timezone.now()
    grants_sql, grants_params = _bound(grants_sql, grants_params, user_pk, now)
    totp_sql, totp_params = _bound(totp_sql, totp_params, user_pk, now)
    return (
        f"(({is_superuser}) OR EXISTS ({grants_sql})) AND NOT EXISTS ({totp_sql})",
        [*grants_params, *totp_params],
    )


def mfa_missing_as_loaded(user):
    """mfa_missing, as read with the user by the statement that loaded them this request (a session's
    labourhub.session_auth, an API token's labourhub/api_v1/token_sql.py: `mfa_missing_at_load`),
    else asked now."""
    missing = getattr(user, "mfa_missing_at_load", None)
    return mfa_missing(user) if missing is None else missing


def mfa_missing(user):
    """scoping.needs_mfa(user) and no TOTP authenticator set up: one statement (was two or three)."""
    if not user.is_authenticated:
        return False
    sql, params = mfa_missing_sql(user.pk, "%s")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", [user.is_superuser, *params])  # noqa: S608 (see the module docstring)
        return cursor.fetchone()[0]
