"""Webhooks: Standard Webhooks signatures, retries with backoff, the delivery log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator

import pytest

from retouch.service.webhooks import sign, verify

from .helpers import Server, data_url, png, rgba_mask
from .loopback import Loopback, statuses


@pytest.fixture
def receiver() -> Iterator[Loopback]:
    lb = Loopback()
    yield lb
    lb.close()


def _wait(predicate, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_signature_matches_the_standard() -> None:
    # The example of the Standard Webhooks spec (github.com/standard-webhooks/standard-webhooks).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, ts = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    payload = b'{"test": 2432232314}'
    assert sign(secret, msg_id, ts, payload) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_delivery_with_retries_and_log(open_server: Server, receiver: Loopback) -> None:
    receiver.routes["/hook"] = statuses([500, 503, 200])
    k = open_server.new_key()
    with open_server.client(k["key"]) as c:
        secret = c.get("/v1/webhooks/secret").json()["secret"]
        assert secret == k["webhook_secret"] and secret.startswith("whsec_")
        job = c.post(
            "/v1/jobs",
            json={
                "images": [data_url(png())],
                "prompt": "brighten slightly",
                "webhook_url": f"{receiver.base}/hook",
                "metadata": {"ref": "a1"},
            },
        ).json()
        _wait(lambda: len(receiver.requests) >= 3)
        deliveries = _wait(
            lambda: [
                d
                for d in c.get("/v1/webhooks/deliveries", params={"job_id": job["id"]}).json()["data"]
                if d["status"] == "succeeded"
            ]
        )
    attempts = receiver.requests[:3]
    ids = {a["headers"]["webhook-id"] for a in attempts}
    assert len(ids) == 1  # the same message id on every retry
    for a in attempts:
        assert verify(secret, a["headers"], a["body"])
        # and independently of our helper, by the spec's recipe:
        h = a["headers"]
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(
            key, f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + a["body"], hashlib.sha256
        )
        assert h["webhook-signature"] == "v1," + base64.b64encode(mac.digest()).decode()
    assert not verify(secret, attempts[0]["headers"], attempts[0]["body"] + b" ")
    event = json.loads(attempts[-1]["body"])
    assert event["type"] == "job.succeeded" and event["data"]["id"] == job["id"]
    assert event["data"]["metadata"] == {"ref": "a1"} and event["data"]["result"]["images"]
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5  # backoff per the schedule (0.3 s, 0.6 s)
    d = deliveries[0]
    assert d["attempts"] == 3 and [x["status_code"] for x in d["log"]] == [500, 503, 200]
    assert d["event_type"] == "job.succeeded"


def test_delivery_gives_up_after_the_schedule(open_server: Server, receiver: Loopback) -> None:
    receiver.routes["/down"] = statuses([500])
    k = open_server.new_key()
    with open_server.client(k["key"]) as c:
        job = c.post(
            "/v1/jobs",
            json={
                "images": [data_url(png())],
                "prompt": "brighten slightly",
                "webhook_url": f"{receiver.base}/down",
            },
        ).json()
        d = _wait(
            lambda: [
                d
                for d in c.get("/v1/webhooks/deliveries", params={"job_id": job["id"]}).json()["data"]
                if d["status"] == "failed"
            ]
        )[0]
    assert d["attempts"] == 4 and d["last_status_code"] == 500 and len(d["log"]) == 4


def test_failed_job_sends_failed_event(open_server: Server, receiver: Loopback) -> None:
    receiver.routes["/hook"] = statuses([204])
    k = open_server.new_key()
    # a geometry step cannot be confined to a mask: the planner accepts it, the engine refuses it
    job = {
        "images": [data_url(png(64, 48))],
        "mask": data_url(rgba_mask(64, 48, (0, 0, 16, 16))),
        "prompt": "crop it to a square",
        "webhook_url": f"{receiver.base}/hook",
    }
    with open_server.client(k["key"]) as c:
        r = c.post("/v1/jobs", json=job)
        assert r.status_code == 202, r.text
        _wait(lambda: receiver.requests)
        final = c.get(f"/v1/jobs/{r.json()['id']}").json()
        balance = c.get("/v1/balance").json()
    event = json.loads(receiver.requests[0]["body"])
    assert event["type"] == "job.failed" and final["status"] == "failed"
    assert final["error"]["param"] == "mask" and final["charged_credits"] == 0
    assert balance["held"] == 0 and balance["available"] == 1_000_000
