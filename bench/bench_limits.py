"""Rate limiters: retouch's in-process sliding window against the `limits` library's Redis
strategies, on the same calls (one `hit` per request, then the window's stats for the headers).

For each: hits per second from one thread, and exactness: two limiter instances (two API
nodes) and 8 threads racing 400 hits against a limit of 50 per minute — an exact limiter
admits exactly 50. The in-process limiter counts per node, so two nodes admit 100.

    .venv/bin/python bench/bench_limits.py --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from retouch.service.errors import ApiError
from retouch.service.limits import RateLimiter, RedisRateLimiter
from retouch.service.settings import Tier


class LimitsStrategy:
    """A `limits` strategy behind retouch's `hit` call (for the strategies retouch does not use)."""

    def __init__(self, url: str, prefix: str, strategy: str) -> None:
        from limits import RateLimitItemPerMinute, strategies
        from limits.storage import RedisStorage

        self.item = RateLimitItemPerMinute
        cls = {"sliding-counter": strategies.SlidingWindowCounterRateLimiter,
               "fixed": strategies.FixedWindowRateLimiter}[strategy]
        self.limiter = cls(RedisStorage(url, key_prefix=prefix))

    def hit(self, key_id: str, tier: Tier, *, kind: str, amount: int = 1) -> dict[str, str]:
        item = self.item(tier.requests_per_minute)
        if not self.limiter.hit(item, key_id, kind, cost=amount):
            raise ApiError(429, "limited", code="rate_limit_exceeded")
        self.limiter.get_window_stats(item, key_id, kind)
        return {}


def measure(name: str, make: Any, n: int) -> dict[str, Any]:
    tier = Tier(requests_per_minute=10**9, images_per_minute=0, concurrent_jobs=0)
    one = make()
    t = time.perf_counter()
    for i in range(n):
        one.hit(f"key_{i % 50}", tier, kind="requests")
    rate = n / (time.perf_counter() - t)
    nodes = [make(), make()]
    small = Tier(requests_per_minute=50, images_per_minute=0, concurrent_jobs=0)
    key = "race_" + uuid.uuid4().hex[:6]
    admitted = [0]
    lock = threading.Lock()

    def race(i: int) -> None:
        for _ in range(50):
            try:
                nodes[i % 2].hit(key, small, kind="requests")
                with lock:
                    admitted[0] += 1
            except ApiError:
                pass

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"limiter": name, "hits/s (1 thread)": round(rate), "µs/hit": round(1e6 / rate),
            "admitted of 400 (limit 50, 2 nodes)": admitted[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--redis-url", default=os.environ.get("RETOUCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--hits", type=int, default=3000)
    args = ap.parse_args()
    prefix = f"bench-limits-{uuid.uuid4().hex[:6]}:"
    rows = [
        measure("retouch in-process (per node)", RateLimiter, args.hits * 10),
        measure("limits moving window, Redis (used)", lambda: RedisRateLimiter(args.redis_url, prefix), args.hits),
        measure("limits sliding counter, Redis", lambda: LimitsStrategy(args.redis_url, prefix + "s",
                                                                        "sliding-counter"), args.hits),
        measure("limits fixed window, Redis", lambda: LimitsStrategy(args.redis_url, prefix + "f", "fixed"),
                args.hits),
    ]
    import redis

    r = redis.Redis.from_url(args.redis_url)
    keys = list(r.scan_iter(prefix + "*"))
    if keys:
        r.delete(*keys)
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(x[c])) for x in rows)) for c in cols]
    print(f"load {os.getloadavg()[0]:.1f}")
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for x in rows:
        print("  ".join(str(x[c]).ljust(w) for c, w in zip(cols, widths, strict=True)))


if __name__ == "__main__":
    main()
