"""The token a call carries, with its owner, as one constant statement (issue 18: the ORM's
select_related for it was ~2 ms of every API call's Python, most of it compiling)."""

from __future__ import annotations

from labourhub.api_v1.models import ApiToken
from labourhub.models import User
from labourhub.sql_rows import columns, fetch_one, instances

_TOKEN_SQL = (
    f"SELECT {columns(ApiToken, 't')}, {columns(User, 'u')} FROM {ApiToken._meta.db_table} t "
    f"JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.secret_hash = %s"
)


def token_with_owner(secret_hash: str) -> ApiToken | None:
    """The token whose secret hashes to `secret_hash`, its `user` loaded; None when there is none."""
    row = fetch_one(_TOKEN_SQL, [secret_hash])
    if row is None:
        return None
    token, owner = instances(row, ApiToken, User)
    token.user = owner
    return token
