"""Per-key rate limits (requests/min, images/min) as sliding windows, with OpenAI-style headers.

`RateLimiter` counts in the process (the embedded default); `RedisRateLimiter` keeps the
windows in Redis through the `limits` library's moving window (an atomic Lua script over a
list of hit times), so every API node counts against the same window: a limit of N per
minute admits exactly N across the cluster. See bench/bench_limits.py for the figures.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import ApiError
from .settings import Tier

WINDOW_S = 60.0


def _duration(seconds: float) -> str:
    """OpenAI's reset format: `1s`, `6m0s`."""
    s = max(0, math.ceil(seconds))
    return f"{s // 60}m{s % 60}s" if s >= 60 else f"{s}s"


@dataclass
class _Window:
    events: deque[tuple[float, int]] = field(default_factory=deque)
    used: int = 0

    def trim(self, t: float) -> None:
        while self.events and self.events[0][0] <= t - WINDOW_S:
            self.used -= self.events.popleft()[1]

    def reset_in(self, t: float, need: int, limit: int) -> float:
        """Seconds until `need` more fit under `limit` (events expire oldest first)."""
        free = limit - self.used
        wait = 0.0
        for ts, n in self.events:
            if free >= need:
                break
            free += n
            wait = ts + WINDOW_S - t
        return max(0.0, wait)


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def hit(self, key_id: str, tier: Tier, *, kind: str, amount: int = 1) -> dict[str, str]:
        """Count `amount` against the key's `kind` limit ("requests" or "images"); returns the
        headers to send, or raises a 429 ApiError with Retry-After."""
        limit = tier.requests_per_minute if kind == "requests" else tier.images_per_minute
        if limit <= 0:
            return {}
        t = time.monotonic()
        with self._lock:
            w = self._windows.setdefault((key_id, kind), _Window())
            w.trim(t)
            if w.used + amount > limit:
                wait = w.reset_in(t, amount, limit) if amount <= limit else WINDOW_S
                headers = self._headers(kind, limit, max(0, limit - w.used), wait)
                headers["retry-after"] = str(max(1, math.ceil(wait)))
                raise ApiError(
                    429,
                    f"Rate limit reached for {kind} per minute: limit {limit}, used {w.used}, requested "
                    f"{amount}. Please try again in {headers[f'x-ratelimit-reset-{kind}']}.",
                    code="rate_limit_exceeded",
                    headers=headers,
                )
            w.events.append((t, amount))
            w.used += amount
            first = w.events[0][0]
            return self._headers(kind, limit, limit - w.used, first + WINDOW_S - t)

    def peek(self, key_id: str, tier: Tier, kind: str) -> dict[str, str]:
        limit = tier.requests_per_minute if kind == "requests" else tier.images_per_minute
        if limit <= 0:
            return {}
        t = time.monotonic()
        with self._lock:
            w = self._windows.setdefault((key_id, kind), _Window())
            w.trim(t)
            reset = (w.events[0][0] + WINDOW_S - t) if w.events else 0.0
            return self._headers(kind, limit, limit - w.used, reset)

    @staticmethod
    def _headers(kind: str, limit: int, remaining: int, reset_s: float) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{kind}": str(limit),
            f"x-ratelimit-remaining-{kind}": str(max(0, remaining)),
            f"x-ratelimit-reset-{kind}": _duration(reset_s),
        }


log = logging.getLogger("retouch.service.limits")


class RedisRateLimiter:
    """The same calls as `RateLimiter`, on windows shared through Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self._item = RateLimitItemPerMinute
        self.storage = RedisStorage(url, key_prefix=prefix + "limits", socket_timeout=2, socket_connect_timeout=2)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._warned = 0.0

    def hit(self, key_id: str, tier: Tier, *, kind: str, amount: int = 1) -> dict[str, str]:
        limit = tier.requests_per_minute if kind == "requests" else tier.images_per_minute
        if limit <= 0:
            return {}
        item = self._item(limit)
        try:
            admitted = amount <= limit and self.limiter.hit(item, key_id, kind, cost=amount)
            stats = self.limiter.get_window_stats(item, key_id, kind)
        except Exception as e:  # Redis down: admit (readiness reports it) rather than refuse everyone
            self._warn(e)
            return {}
        reset = max(0.0, stats.reset_time - time.time())
        headers = RateLimiter._headers(kind, limit, stats.remaining, reset)
        if admitted:
            return headers
        used = limit - stats.remaining
        wait = WINDOW_S if amount > limit else reset
        headers["retry-after"] = str(max(1, math.ceil(wait)))
        raise ApiError(
            429,
            f"Rate limit reached for {kind} per minute: limit {limit}, used {used}, requested "
            f"{amount}. Please try again in {headers[f'x-ratelimit-reset-{kind}']}.",
            code="rate_limit_exceeded",
            headers=headers,
        )

    def peek(self, key_id: str, tier: Tier, kind: str) -> dict[str, str]:
        limit = tier.requests_per_minute if kind == "requests" else tier.images_per_minute
        if limit <= 0:
            return {}
        try:
            stats = self.limiter.get_window_stats(self._item(limit), key_id, kind)
        except Exception as e:
            self._warn(e)
            return {}
        return RateLimiter._headers(kind, limit, stats.remaining, max(0.0, stats.reset_time - time.time()))

    def _warn(self, e: Exception) -> None:
        if time.monotonic() - self._warned > 10:
            self._warned = time.monotonic()
            log.warning("rate limits not counted: redis unavailable (%s)", e)
