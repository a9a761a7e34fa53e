"""Webhooks as Standard Webhooks (standardwebhooks.com): signed, retried with backoff, logged.

Headers: `webhook-id` (the message id, stable across retries), `webhook-timestamp`
(Unix seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, keyed with the bytes of the receiver's secret `whsec_<base64>`.
Deliveries are written in the same transaction that ends the job (an outbox), so an
event exists iff the job ended; a dispatcher thread sends what is due.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .db import Database, now, rowcount
from .fetch import SafeFetcher
from .keys import Principal
from .models import Job, WebhookAttempt, WebhookDelivery

log = logging.getLogger("retouch.service.webhooks")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance_s: int = 300) -> bool:
    """Receiver side (for docs and tests): check the signature and the timestamp's freshness."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts = h.get("webhook-id", ""), h.get("webhook-timestamp", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance_s:
        return False
    expected = sign(secret, msg_id, int(ts), body).split(",", 1)[1]
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in h.get("webhook-signature", "").split()
        if sig.startswith("v1,")
    )


class WebhookService:
    def __init__(
        self,
        db: Database,
        fetcher: SafeFetcher,
        server_secret: bytes,
        *,
        schedule_s: list[float],
        timeout_s: float,
        view: Callable[[Job], dict[str, Any]],
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self._server_secret = server_secret
        self.schedule_s = schedule_s
        self.timeout_s = timeout_s
        self.view = view
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def secret_for(self, key_id: str) -> str:
        """Each key's signing secret, derived from the server secret (nothing extra to store)."""
        raw = hmac.new(self._server_secret, f"webhook-secret:{key_id}".encode(), hashlib.sha256).digest()
        return "whsec_" + base64.b64encode(raw).decode()

    # ---- outbox

    def on_job_terminal(self, s: Session, job: Job) -> None:
        """TerminalHook: record the event for the job's webhook, in the job's transaction."""
        if not job.webhook_url:
            return
        t = now()
        payload = {
            "type": f"job.{job.status}",
            "timestamp": dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": self.view(job),
        }
        s.add(
            WebhookDelivery(
                account_id=job.account_id,
                key_id=job.key_id,
                job_id=job.id,
                url=job.webhook_url,
                event_type=payload["type"],
                payload=json.dumps(payload, separators=(",", ":")),
                next_attempt_at=t,
            )
        )
        self._wake.set()

    # ---- dispatcher

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="retouch-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_due()
            except Exception:  # keep dispatching after a database hiccup
                log.exception("webhook dispatch failed")
                sent = 0
            if not sent:
                self._wake.wait(0.5)
                self._wake.clear()

    def run_due(self, limit: int = 20) -> int:
        """Send what is due; returns how many attempts were made."""
        t = now()
        with self.db.read() as s:
            due = list(
                s.scalars(
                    select(WebhookDelivery)
                    .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= t)
                    .order_by(WebhookDelivery.next_attempt_at)
                    .limit(limit)
                )
            )
        n = 0
        for d in due:
            # Lease the delivery so that another dispatcher (process) does not send it too.
            lease = t + self.timeout_s * 2 + 5
            with self.db.write() as s:
                res = s.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == d.id,
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at == d.next_attempt_at,
                    )
                    .values(next_attempt_at=lease)
                )
            if rowcount(res) != 1:
                continue
            self._attempt(d)
            n += 1
        return n

    def _attempt(self, d: WebhookDelivery) -> None:
        body = d.payload.encode()
        ts = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": d.id,
            "webhook-timestamp": str(ts),
            "webhook-signature": sign(self.secret_for(d.key_id), d.id, ts, body),
        }
        t0 = time.monotonic()
        code: int | None = None
        error: str | None = None
        try:
            code = self.fetcher.post(d.url, body, headers, timeout_s=self.timeout_s)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except Exception as e:  # every failure is logged and retried
            error = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
        attempt = d.attempts + 1
        with self.db.write() as s:
            s.add(
                WebhookAttempt(
                    delivery_id=d.id,
                    attempt=attempt,
                    status_code=code,
                    error=error,
                    duration_ms=round((time.monotonic() - t0) * 1000, 1),
                )
            )
            values: dict[str, Any] = {"attempts": attempt, "last_status_code": code, "last_error": error}
            if error is None:
                values.update(status="succeeded", delivered_at=now(), next_attempt_at=None)
            elif attempt > len(self.schedule_s):
                values.update(status="failed", next_attempt_at=None)
            else:
                values.update(next_attempt_at=now() + self.schedule_s[attempt - 1])
            s.execute(update(WebhookDelivery).where(WebhookDelivery.id == d.id).values(**values))

    # ---- the delivery log

    def deliveries(self, principal: Principal, *, job_id: str | None = None, limit: int = 50) -> list[dict]:
        with self.db.read() as s:
            q = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
            if not principal.is_admin:
                q = q.where(WebhookDelivery.account_id == principal.account_id)
            if job_id:
                q = q.where(WebhookDelivery.job_id == job_id)
            rows = list(s.scalars(q))
            ids = [d.id for d in rows]
            attempts: dict[str, list[dict]] = {i: [] for i in ids}
            if ids:
                for a in s.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id.in_(ids))
                    .order_by(WebhookAttempt.id)
                ):
                    attempts[a.delivery_id].append(
                        {
                            "attempt": a.attempt,
                            "at": int(a.at),
                            "status_code": a.status_code,
                            "error": a.error,
                            "duration_ms": a.duration_ms,
                        }
                    )
        return [
            {
                "id": d.id,
                "object": "webhook_delivery",
                "job_id": d.job_id,
                "url": d.url,
                "event_type": d.event_type,
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt_at": int(d.next_attempt_at) if d.next_attempt_at else None,
                "last_status_code": d.last_status_code,
                "last_error": d.last_error,
                "created_at": int(d.created_at),
                "delivered_at": int(d.delivered_at) if d.delivered_at else None,
                "log": attempts[d.id],
            }
            for d in rows
        ]
