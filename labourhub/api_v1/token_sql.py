"""The token a call carries, with its owner, as one constant statement (issue 18: the ORM's
select_related for it was ~2 ms of every API call's Python, most of it compiling). The same
statement answers the two questions asked of the owner on every call, as of this moment: must they
set up MFA again (scoping_sql.mfa_missing), and do they hold a grant for the call's Action now
(scoping.can) — each was a statement of its own."""

from __future__ import annotations

from labourhub.api_v1.models import ApiToken
from labourhub.models import User
from labourhub.scoping import Action
from labourhub.scoping_sql import UserColumn, constituencies_sql, mfa_missing_sql
from labourhub.sql_rows import columns, fetch_one, instances

_TOKEN_SQL = (
    f"SELECT {columns(ApiToken, 't')}, {columns(User, 'u')}, {{mfa_missing}}, {{grant_held}} "
    f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.secret_hash = %s"
)
_OWNER = UserColumn("u.id")


def token_with_owner(secret_hash: str, action: Action | None) -> ApiToken | None:
    """The token whose secret hashes to `secret_hash`, its `user` loaded, or None when there is none.
    `token.user.mfa_missing_at_load`: the owner must set up MFA again (as a session's user carries
    it: scoping_sql.mfa_missing_as_loaded); `token.owner_may`: {action: whether
    the owner holds a grant for it now} (scoping.can's rule, for an active user who is not a
    superuser), empty when no action is asked."""
    mfa_sql, mfa_params = mfa_missing_sql(_OWNER, "u.is_superuser")
    grant_sql, grant_params = constituencies_sql(_OWNER, action) if action else ("SELECT 1 WHERE false", [])
    sql = _TOKEN_SQL.replace("{mfa_missing}", mfa_sql).replace("{grant_held}", f"EXISTS ({grant_sql})")
    row = fetch_one(sql, [*mfa_params, *grant_params, secret_hash])
    if row is None:
        return None
    token, owner = instances(row[:-2], ApiToken, User)
    token.user = owner
    owner.mfa_missing_at_load, token.owner_may = row[-2], ({action: row[-1]} if action else {})
    return token
