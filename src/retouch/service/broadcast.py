"""Messages to every process of a cluster: job events (progress, status), cancels, key
revocations. Redis pub/sub when `redis_url` is set; PostgreSQL NOTIFY when the database is
PostgreSQL; nothing beyond the process on the embedded default.

Delivery is at most once and only to processes listening at the time (pub/sub semantics):
each use has a slower path through the database behind it (SSE and waits poll the job row,
heartbeats read `cancel_requested`, the key cache expires after `key_cache_s`), so a lost
message delays, it never loses or corrupts anything.

Also here: `PgListener`, the one LISTEN connection a process keeps on PostgreSQL, which
wakes idle workers (`retouch_jobs`) and, without Redis, carries the broadcast.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("retouch.service.broadcast")

#: handler(kind, message): `kind` is "job", "cancel" or "revoke"
Handler = Callable[[str, dict[str, Any]], None]

#: PostgreSQL NOTIFY channel of the broadcast (payloads must stay under 8000 bytes).
PG_CHANNEL = "retouch_bus"


class Broadcast(Protocol):
    name: str

    def publish(self, kind: str, message: dict[str, Any]) -> None:
        """Send to every other process (never raises: a lost message only delays)."""

    def start(self, handler: Handler) -> None:
        """Deliver other processes' messages to `handler` (on a thread of its own)."""

    def stop(self) -> None: ...

    def check(self) -> str | None:
        """None when connected, else why not (readiness)."""


def encode(origin: str, kind: str, message: dict[str, Any]) -> str:
    return json.dumps({"o": origin, "k": kind, "m": message}, separators=(",", ":"))


def decode(origin: str, raw: str | bytes, handler: Handler) -> None:
    """Hand a received message to `handler`, unless this process sent it."""
    try:
        msg = json.loads(raw)
        if msg.get("o") == origin:
            return
        handler(str(msg["k"]), dict(msg["m"]))
    except Exception:  # one bad message must not stop the listener
        log.exception("bad broadcast message")


class LocalBroadcast:
    """One process: nothing to send."""

    name = "local"

    def publish(self, kind: str, message: dict[str, Any]) -> None:
        pass

    def start(self, handler: Handler) -> None:
        pass

    def stop(self) -> None:
        pass

    def check(self) -> str | None:
        return None


class RedisBroadcast:
    """Redis pub/sub on one channel, `<prefix>bus`."""

    name = "redis"

    def __init__(self, url: str, prefix: str, origin: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
        self.channel = prefix + "bus"
        self.origin = origin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = 0.0

    def publish(self, kind: str, message: dict[str, Any]) -> None:
        try:
            self.client.publish(self.channel, encode(self.origin, kind, message))
        except Exception as e:  # Redis down: the database paths still work, later
            if time.monotonic() - self._warned > 10:
                self._warned = time.monotonic()
                log.warning("redis publish failed: %s", e)

    def start(self, handler: Handler) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, args=(handler, ready), name="retouch-redis-bus", daemon=True
        )
        self._thread.start()
        ready.wait(5)  # subscribed before the process says it is up (or Redis is down: go on)

    def _listen(self, handler: Handler, ready: threading.Event) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                ready.set()
                backoff = 0.2
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is not None and msg.get("type") == "message":
                        decode(self.origin, msg["data"], handler)
            except Exception as e:
                if not self._stop.is_set():
                    log.warning("redis subscription lost (%s); reconnecting", e)
                    self._stop.wait(backoff)
                    backoff = min(5.0, backoff * 2)
            finally:
                with contextlib.suppress(Exception):
                    pubsub.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(3)
        self.client.close()

    def check(self) -> str | None:
        try:
            self.client.ping()
        except Exception as e:
            return f"redis: {type(e).__name__}: {str(e)[:200]}"
        return None


class PgListener:
    """One LISTEN connection (psycopg, autocommit) that hands notifications to callbacks by
    channel, reconnecting when the connection drops."""

    def __init__(self, dsn: str, callbacks: dict[str, Callable[[str], None]]) -> None:
        self.dsn = dsn
        self.callbacks = callbacks
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        #: called after every (re)connection: notifications sent while away are lost
        self.on_reconnect: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="retouch-pg-listen", daemon=True)
        self._thread.start()
        self._connected.wait(5)

    def _run(self) -> None:
        import psycopg

        backoff = 0.2
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    for channel in self.callbacks:
                        conn.execute(f'LISTEN "{channel}"')
                    self._connected.set()
                    if not first:
                        self.on_reconnect()
                    first = False
                    backoff = 0.2
                    while not self._stop.is_set():
                        for n in conn.notifies(timeout=1.0):
                            cb = self.callbacks.get(n.channel)
                            if cb is not None:
                                try:
                                    cb(n.payload)
                                except Exception:
                                    log.exception("notification handler failed")
            except Exception as e:
                self._connected.clear()
                if not self._stop.is_set():
                    log.warning("LISTEN connection lost (%s); reconnecting", e)
                    self._stop.wait(backoff)
                    backoff = min(5.0, backoff * 2)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(3)

    def check(self) -> str | None:
        return None if self._connected.is_set() else "postgresql LISTEN connection is down"


class PgBroadcast:
    """NOTIFY on `retouch_bus`; received through the process's `PgListener`."""

    name = "postgresql"

    def __init__(self, engine: Any, listener: PgListener, origin: str) -> None:
        self.engine = engine
        self.listener = listener
        self.origin = origin
        self._warned = 0.0

    def publish(self, kind: str, message: dict[str, Any]) -> None:
        from sqlalchemy import func, select

        payload = encode(self.origin, kind, message)
        if len(payload.encode()) >= 8000:
            log.warning("broadcast message too large for NOTIFY (%d bytes): dropped", len(payload))
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(select(func.pg_notify(PG_CHANNEL, payload)))
        except Exception as e:
            if time.monotonic() - self._warned > 10:
                self._warned = time.monotonic()
                log.warning("NOTIFY failed: %s", e)

    def start(self, handler: Handler) -> None:
        self.listener.callbacks[PG_CHANNEL] = lambda payload: decode(self.origin, payload, handler)

    def stop(self) -> None:
        pass

    def check(self) -> str | None:
        return self.listener.check()


def psycopg_dsn(sqlalchemy_url: Any) -> str:
    """The libpq connection string of a SQLAlchemy `postgresql+psycopg://` URL."""
    return str(sqlalchemy_url.set(drivername="postgresql").render_as_string(hide_password=False))
