"""What every signed-in request loads before its view runs: its session, and its user with the MFA
middleware's answer, one statement each, whose SQL Django compiled once per process.

Why: Django's database session store and ModelBackend.get_user build, compile and run an ORM query
and initialise a model on every request: ~2 ms of Python of a polling-day telling's ~5 ms, more than
the telling's own work (issue 13, "Performance"). The SQL of both depends only on the key asked for.

How: the first call compiles Django's own queryset (the session by key, unexpired; the user by
primary key) and keeps its SQL text; every call runs it with this request's key and the current
time as bound parameters. Nothing else is kept: no session, no user, no answer. So the semantics are
Django's: a session is found only while `expire_date` is in the future; a signed-out, flushed or
deleted session (by any process) is gone on the next request; `get_user` still checks `is_active`
(`user_can_authenticate`) and django.contrib.auth.get_user still checks the session hash against
the password. The user's statement also asks scoping_sql's "must this user set up MFA and has not"
(its grants and authenticators now), which MFARequiredMiddleware reads from the user instead of
asking it in a third statement. Writes (create, save, delete, cycle_key) are Django's, unchanged.
tests/labourhub/test_session_load.py holds both to that.

Settings: SESSION_ENGINE = "labourhub.session_auth"; AUTHENTICATION_BACKENDS names the two backends
below (Django's ModelBackend and allauth's, each with this `get_user`). A session written before
this change names the old backend paths: `load` reads them as the new ones (same classes but for
`get_user`), so nobody is signed out by the deploy.
"""

import datetime
import functools

from allauth.account import auth_backends as allauth_backends
from asgiref.sync import sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import backends as django_backends
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from labourhub.scoping_sql import mfa_missing_sql

# Values no session or user has, compiled where this request's values go.
_KEY, _NOW, _PK = (
    "-session-key-placeholder-",
    datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC),
    -7_000_000_023,
)
_compiled = {}


def _sql(name, build, values):
    """The SQL text of `build()` (compiled once per process) and its parameters with `values`
    ({placeholder: this call's value}) put where the placeholders were; each must be there once."""
    found = _compiled.get(name)
    if found is None:
        sql, params = build().query.sql_with_params()
        if sorted(map(repr, params)) != sorted(map(repr, values)):
            raise RuntimeError(f"session_auth: {name} compiled with parameters {params!r}.")
        _compiled[name] = found = (sql, tuple(params))
    sql, params = found
    return sql, [values[p] for p in params]


def _fetch_one(model, sql, params):
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


_RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "labourhub.session_auth.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "labourhub.session_auth.AuthenticationBackend",
}


class SessionStore(db.SessionStore):
    def load(self):
        sql, params = _sql(
            "session",
            lambda: Session.objects.filter(session_key=_KEY, expire_date__gt=_NOW).values_list(
                "session_data"
            ),
            {_KEY: self.session_key, _NOW: timezone.now()},
        )
        row = _fetch_one(Session, sql, params)
        if row is None:
            self._session_key = None  # as Django's store: a new session gets a new key
            return {}
        data = self.decode(row[0])
        if data.get(BACKEND_SESSION_KEY) in _RENAMED:
            data[BACKEND_SESSION_KEY] = _RENAMED[data[BACKEND_SESSION_KEY]]
        return data

    async def aload(self):
        return await sync_to_async(self.load)()


@functools.cache
def _user_fields():
    return tuple(field.attname for field in get_user_model()._meta.concrete_fields)


class _GetUser:
    """ModelBackend.get_user in one precompiled statement: the user by primary key, or None; and None
    unless `user_can_authenticate` (is_active), as ModelBackend. The same statement answers the MFA
    middleware's question (scoping_sql.mfa_missing, as of this moment): `user.mfa_missing_at_load`."""

    def get_user(self, user_id):
        user_model, fields = get_user_model(), _user_fields()
        user_sql, user_params = _sql(
            "user",
            lambda: user_model._default_manager.filter(pk=_PK).order_by().values_list(*fields),
            {_PK: user_id},
        )
        mfa_sql, mfa_params = mfa_missing_sql(user_id, "u.is_superuser")
        row = _fetch_one(
            user_model,
            f"SELECT u.*, {mfa_sql} FROM ({user_sql}) AS u",  # noqa: S608  (SQL compiled by Django and scoping_sql)
            [*mfa_params, *user_params],
        )
        if row is None:
            return None
        user = user_model.from_db(router.db_for_read(user_model), fields, row[:-1])
        user.mfa_missing_at_load = row[-1]
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_GetUser, django_backends.ModelBackend):
    pass


class AuthenticationBackend(_GetUser, allauth_backends.AuthenticationBackend):
    pass
