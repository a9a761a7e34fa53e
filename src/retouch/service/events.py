"""In-process publish/subscribe of job events, bridging worker threads to asyncio streams.

Only a latency optimisation: subscribers also poll the database, so events from
workers in other processes still arrive (just a little later).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from typing import Any

Event = dict[str, Any]


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]] = defaultdict(
            list
        )

    def subscribe(self, topic: str) -> asyncio.Queue[Event]:
        """A queue receiving the topic's events; call from a coroutine, `unsubscribe` when done."""
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        with self._lock:
            self._subs[topic].append((asyncio.get_running_loop(), q))
        return q

    def unsubscribe(self, topic: str, q: asyncio.Queue[Event]) -> None:
        with self._lock:
            subs = self._subs.get(topic, [])
            self._subs[topic] = [(lp, x) for lp, x in subs if x is not q]
            if not self._subs[topic]:
                del self._subs[topic]

    def publish(self, topic: str, event: Event) -> None:
        """Thread-safe; never blocks (a full subscriber queue drops the event: it will poll)."""
        with self._lock:
            subs = list(self._subs.get(topic, []))
        for loop, q in subs:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop is closed
                loop.call_soon_threadsafe(_put, q, event)


def _put(q: asyncio.Queue[Event], event: Event) -> None:
    with contextlib.suppress(asyncio.QueueFull):
        q.put_nowait(event)
