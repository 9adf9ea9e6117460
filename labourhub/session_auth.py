"""What every signed-in request loads before its view runs: its session, and its user with the MFA
middleware's answer, one constant statement each (labourhub/sql_rows.py).

Why: Django's database session store and ModelBackend.get_user build, compile and run an ORM query
and initialise a model on every request: ~2 ms of Python of a polling-day telling's ~5 ms, more than
the telling's own work (issue 13, "Performance"). The SQL of both depends only on the key asked for.

How: each is a SELECT whose text is fixed per process (the session by key, unexpired; the user's
columns by primary key), run with this request's key and the current time as bound parameters.
Nothing else is kept: no session, no user, no answer. So the semantics are
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

from allauth.account import auth_backends as allauth_backends
from asgiref.sync import sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import backends as django_backends
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from labourhub.scoping_sql import mfa_missing_sql
from labourhub.sql_rows import columns, fetch_one, instances

_SESSION_SQL = (
    f"SELECT session_data FROM {Session._meta.db_table} WHERE session_key = %s AND expire_date > %s"  # noqa: S608  (our table's name)
)

_RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "labourhub.session_auth.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "labourhub.session_auth.AuthenticationBackend",
}


class SessionStore(db.SessionStore):
    def load(self):
        row = fetch_one(_SESSION_SQL, [self.session_key, timezone.now()])
        if row is None:
            self._session_key = None  # as Django's store: a new session gets a new key
            return {}
        data = self.decode(row[0])
        if data.get(BACKEND_SESSION_KEY) in _RENAMED:
            data[BACKEND_SESSION_KEY] = _RENAMED[data[BACKEND_SESSION_KEY]]
        return data

    async def aload(self):
        return await sync_to_async(self.load)()


class _GetUser:
    """ModelBackend.get_user in one constant statement: the user by primary key, or None; and None
    unless `user_can_authenticate` (is_active), as ModelBackend. The same statement answers the MFA
    middleware's question, as of this moment: `user.mfa_missing_at_load`
    (scoping_sql.mfa_missing_as_loaded)."""

    def get_user(self, user_id):
        user_model = get_user_model()
        mfa_sql, mfa_params = mfa_missing_sql(user_id, "u.is_superuser")
        row = fetch_one(
            f"SELECT {columns(user_model, 'u')}, {mfa_sql} FROM {user_model._meta.db_table} u WHERE u.id = %s",  # noqa: S608  (our columns; SQL compiled by scoping_sql)
            [*mfa_params, user_id],
        )
        if row is None:
            return None
        (user,) = instances(row[:-1], user_model)
        user.mfa_missing_at_load = row[-1]
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_GetUser, django_backends.ModelBackend):
    pass


class AuthenticationBackend(_GetUser, allauth_backends.AuthenticationBackend):
    pass
