"""Per-key rate limits (requests/min, images/min) as sliding windows, with OpenAI-style headers.

In-process: with several server processes each counts on its own, which is fine for
the embedded default; a shared store can replace `RateLimiter` behind the same calls.
"""

from __future__ import annotations

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
