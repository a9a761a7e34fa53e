"""Publish/subscribe of job events, bridging worker threads to asyncio streams, and through
the cluster's broadcast (`broadcast.py`) to the process the client is connected to.

Only a latency optimisation: subscribers also poll the database, so an event that is lost
(a broadcast that was down) still arrives, a little later.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]

#: Progress events go to other processes at most this often per job (status events always).
FORWARD_PROGRESS_EVERY_S = 0.1


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]] = defaultdict(
            list
        )
        #: forward(topic, event): sends an event published here to the other processes
        self.forward: Callable[[str, Event], None] | None = None
        self._forwarded: dict[str, float] = {}

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
        """Deliver here and to the other processes. Thread-safe; never blocks (a full
        subscriber queue drops the event: it will poll)."""
        self.deliver(topic, event)
        if self.forward is not None and self._should_forward(topic, event):
            self.forward(topic, event)

    def _should_forward(self, topic: str, event: Event) -> bool:
        if event.get("type") != "job.progress":
            with self._lock:
                self._forwarded.pop(topic, None)
            return True
        t = time.monotonic()
        with self._lock:
            if t - self._forwarded.get(topic, 0.0) < FORWARD_PROGRESS_EVERY_S:
                return False
            if len(self._forwarded) > 10_000:
                self._forwarded.clear()
            self._forwarded[topic] = t
            return True

    def deliver(self, topic: str, event: Event) -> None:
        """To this process's subscribers only (events received from other processes)."""
        with self._lock:
            subs = list(self._subs.get(topic, []))
        for loop, q in subs:
            with contextlib.suppress(RuntimeError):  # the subscriber's loop is closed
                loop.call_soon_threadsafe(_put, q, event)


def _put(q: asyncio.Queue[Event], event: Event) -> None:
    with contextlib.suppress(asyncio.QueueFull):
        q.put_nowait(event)
