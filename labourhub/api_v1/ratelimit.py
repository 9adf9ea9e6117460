"""Rate limits of /api/v1/: a fixed one-second window per client address and per token, one
budget for reads and one for writes (API_RATE_LIMIT_READS / _WRITES a second; 15 and 5 by default,
as Mobilize's API).

With REDIS_URL set the counts are kept in Redis, so every web process shares them; without it each
process keeps its own (a client spread over n processes could make n times as many calls)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window starts again


_clock = time.time  # the window's clock (a test holds it still to make 16 calls in one second)


def _count(keys: list[str], window: int) -> list[int]:
    """Add one call to each key's count in this window; return the counts. Django's cache is Redis
    when REDIS_URL is set (shared by every process), the process's own memory otherwise."""
    counts = []
    for key in keys:
        name = f"api-rate:{key}:{window}"
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
