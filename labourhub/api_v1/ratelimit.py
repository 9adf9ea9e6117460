"""Rate limits of /api/v1/: a fixed one-second window per client address and per token, one
budget for reads and one for writes (API_RATE_LIMIT_READS / _WRITES a second; 15 and 5 by default,
as Mobilize's API).

With REDIS_URL set the counts are kept in Redis, so every web process shares them; without it each
process keeps its own (a client spread over n processes could make n times as many calls)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again


_clock = time.time  # the window's clock (a test holds it still to make 16 calls in one second)


_redis_clients: dict[str, Any] = {}


def _redis() -> Any:
    """A client of REDIS_URL (one per process, with its own connection pool), or None without it."""
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return _redis_clients[url]


def _count(keys: list[str], window: int) -> list[int]:
    """Add one call to each key's count in this window; return the counts. With REDIS_URL every web
    process shares them: INCR and EXPIRE for every key in one MULTI, so one round trip a call (Django's
    cache took three a key: add, and incr's EXISTS then INCRBY). Without it, the process's own memory."""
    names = [f"api-rate:{key}:{window}" for key in keys]
    client = _redis()
    if client is not None:
        pipe = client.pipeline(transaction=True)
        for name in names:
            pipe.incr(name)
            pipe.expire(name, 10)
        return [int(count) for count in pipe.execute()[::2]]
    counts = []
    for name in names:
        cache.add(name, 0, timeout=10)
        try:
            counts.append(cache.incr(name))
        except ValueError:  # expired between add and incr
            cache.set(name, 1, timeout=10)
            counts.append(1)
    return counts


def rate_limit_hit(*, keys: list[str], write: bool) -> Verdict:
    """Count one call against every key (the client's address, the token); refuse when any is over."""
    limit = settings.API_RATE_LIMIT_WRITES if write else settings.API_RATE_LIMIT_READS
    now = _clock()
    window = int(now)
    kind = "w" if write else "r"
    counts = _count([f"{kind}:{key}" for key in keys], window)
    highest = max(counts)
    reset = max(1, math.ceil(window + 1 - now))
    return Verdict(allowed=highest <= limit, limit=limit, remaining=max(0, limit - highest), reset=reset)
