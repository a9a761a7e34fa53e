"""A campaign of concurrent clients against a running `retouch serve`, then the ledger audit.

Each client (a thread with its own API key) draws actions at random: sync edits through the
official SDK (plain, with an Idempotency-Key sent twice, streamed, given up on mid-edit or
mid-stream), queued jobs and batches (some canceled at once), estimates, bad requests,
edits by a key without credits, and reads. Afterwards, once no job is left running, the
server's ledger audit (`GET /v1/admin/audit`) must be clean and every key's balance must be
its grant minus what its usage says it was charged, with nothing on hold.

The suite runs it for a few seconds (test_campaign.py); bench/bench_ledger.py for a minute.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai

from .helpers import data_url, png

CREDITS = 10_000_000
PROMPTS = [
    "increase the contrast by 20%",
    "make it warmer",
    "brighten slightly and add a subtle vignette",
    "make it black and white",
    "boost the saturation a lot",
]
#: Action -> weight.
ACTIONS = {
    "edit": 22,
    "edit-idempotent": 8,
    "edit-given-up": 6,
    "stream": 5,
    "stream-given-up": 4,
    "job": 12,
    "batch": 6,
    "job-canceled": 6,
    "estimate": 8,
    "bad-request": 8,
    "no-credits": 5,
    "read": 10,
}
#: The statuses each action may answer with.
EXPECTED = {
    "edit": {200},
    "edit-idempotent": {200},
    "edit-given-up": {"timeout"},
    "stream": {200},
    "stream-given-up": {200},
    "job": {202, 200},
    "batch": {202, 200},
    "job-canceled": {200},
    "estimate": {200},
    "bad-request": {400},
    "no-credits": {402},
    "read": {200},
}


@dataclass
class CampaignResult:
    clients: int
    seconds: float
    counts: Counter[tuple[str, Any]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)
    balance_problems: list[str] = field(default_factory=list)
    settle_s: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return (
            not self.server_errors
            and not self.unexpected
            and bool(self.audit.get("ok"))
            and not self.balance_problems
        )


class Client:
    """One simulated user: its own key, SDK client and HTTP client."""

    def __init__(self, base_url: str, key: str, poor_key: str, rng: random.Random, result: CampaignResult) -> None:
        self.base_url = base_url
        self.key = key
        self.poor_key = poor_key
        self.rng = rng
        self.result = result
        # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) would
        # close them under a request being sent (a reset that is nobody's bug).
        limits = httpx.Limits(keepalive_expiry=2.0)
        self.sdk = openai.OpenAI(
            base_url=base_url + "/v1",
            api_key=key,
            max_retries=0,
            timeout=120,
            http_client=openai.DefaultHttpxClient(limits=limits),
        )
        self.http = httpx.Client(
            base_url=base_url, headers={"authorization": f"Bearer {key}"}, timeout=120, limits=limits
        )
        self.lock = threading.Lock()

    def image(self) -> tuple[str, bytes, str]:
        return ("p.png", png(64, 48, seed=self.rng.randrange(1000)), "image/png")

    def record(self, action: str, status: Any, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.result.counts[(action, status)] += 1
            self.result.latencies[action].append(seconds)
            if isinstance(status, int) and status >= 500:
                self.result.server_errors.append(f"{action}: {status} {detail[:300]}")
            elif status not in EXPECTED[action]:
                self.result.unexpected.append(f"{action}: {status} {detail[:300]}")

    def run(self, deadline: float) -> None:
        names, weights = list(ACTIONS), list(ACTIONS.values())
        while time.monotonic() < deadline:
            action = self.rng.choices(names, weights)[0]
            t = time.monotonic()
            try:
                status, detail = getattr(self, action.replace("-", "_"))()
            except openai.APIStatusError as e:
                status, detail = e.status_code, e.response.text
            except (openai.APITimeoutError, httpx.TimeoutException):
                status, detail = "timeout", ""
            except Exception as e:  # a client-side surprise is a finding too
                status, detail = type(e).__name__, str(e)
            self.record(action, status, time.monotonic() - t, detail)
        self.http.close()
        self.sdk.close()

    # ---- actions: (status, detail)

    def edit(self) -> tuple[Any, str]:
        r = self.sdk.images.with_raw_response.edit(image=self.image(), prompt=self.rng.choice(PROMPTS))
        return r.status_code, "" if r.parse().data[0].b64_json else "no image"

    def edit_idempotent(self) -> tuple[Any, str]:
        idem = {"Idempotency-Key": str(uuid.uuid4())}
        image, prompt = self.image(), self.rng.choice(PROMPTS)
        first = self.sdk.images.with_raw_response.edit(image=image, prompt=prompt, extra_headers=idem)
        again = self.sdk.images.with_raw_response.edit(image=image, prompt=prompt, extra_headers=idem)
        same = (
            again.headers.get("idempotent-replayed") == "true"
            and again.headers["x-retouch-job-id"] == first.headers["x-retouch-job-id"]
            and again.parse().data[0].b64_json == first.parse().data[0].b64_json
        )
        return (again.status_code if same else "not replayed"), ""

    def edit_given_up(self) -> tuple[Any, str]:
        impatient = self.sdk.with_options(timeout=0.05)
        impatient.images.edit(
            image=("p.png", png(512, 512, seed=self.rng.randrange(1000)), "image/png"),
            prompt="denoise it",
            quality="high",
        )
        return "answered", "a 0.05 s timeout did not expire"

    def stream(self) -> tuple[Any, str]:
        events = list(self.sdk.images.edit(image=self.image(), prompt=self.rng.choice(PROMPTS), stream=True))
        return (200 if events and events[-1].type == "image_edit.completed" else "no completed event"), ""

    def stream_given_up(self) -> tuple[Any, str]:
        stream = self.sdk.images.edit(
            image=("p.png", png(256, 256, seed=self.rng.randrange(1000)), "image/png"),
            prompt="denoise it",
            quality="high",
            stream=True,
        )
        status = stream.response.status_code
        stream.response.close()
        return status, ""

    def job(self) -> tuple[Any, str]:
        body = {"images": [data_url(png(64, 48, seed=self.rng.randrange(1000)))], "prompt": self.rng.choice(PROMPTS)}
        headers = {"prefer": "wait=10"} if self.rng.random() < 0.3 else {}
        r = self.http.post("/v1/jobs", json=body, headers=headers)
        return r.status_code, r.text

    def batch(self) -> tuple[Any, str]:
        images = [data_url(png(48, 48, seed=self.rng.randrange(1000))) for _ in range(2)]
        r = self.http.post("/v1/jobs", json={"images": images, "prompt": self.rng.choice(PROMPTS), "mode": "batch"})
        return r.status_code, r.text

    def job_canceled(self) -> tuple[Any, str]:
        body = {"images": [data_url(png(256, 256, seed=self.rng.randrange(1000)))], "prompt": "denoise it"}
        job = self.http.post("/v1/jobs", json=body).json()
        r = self.http.post(f"/v1/jobs/{job['id']}/cancel")
        return r.status_code, r.text

    def estimate(self) -> tuple[Any, str]:
        r = self.http.post("/v1/estimates", json={"prompt": "brighten", "image_sizes": ["1024x768"], "n": 2})
        return r.status_code, r.text

    def bad_request(self) -> tuple[Any, str]:
        bad = self.rng.choice([{"size": "1" * 400 + ":1"}, {"n": 11}, {"quality": "ultra"}, {"prompt": ""}])
        args = {"image": self.image(), "prompt": "brighten", **bad}
        self.sdk.images.edit(**args)
        return "accepted", str(bad)

    def no_credits(self) -> tuple[Any, str]:
        poor = self.sdk.with_options(api_key=self.poor_key)
        poor.images.edit(image=self.image(), prompt="brighten slightly")
        return "accepted", "an edit without credits"

    def read(self) -> tuple[Any, str]:
        path = self.rng.choice(["/v1/jobs", "/v1/balance", "/v1/statements", "/v1/usage", "/v1/files"])
        r = self.http.get(path)
        return r.status_code, r.text


def run_campaign(
    base_url: str, admin_key: str, *, clients: int = 16, seconds: float = 60, seed: int = 0
) -> CampaignResult:
    """Run the campaign, wait for every job to end, then audit."""
    result = CampaignResult(clients=clients, seconds=seconds)
    admin = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {admin_key}"}, timeout=120)

    def new_key(credits: int) -> dict[str, Any]:
        r = admin.post("/v1/admin/keys", json={"name": "campaign", "credits": credits, "tier": "unlimited"})
        r.raise_for_status()
        return r.json()

    keys = [new_key(CREDITS) for _ in range(clients)]
    poor = new_key(1)
    users = [
        Client(base_url, k["key"], poor["key"], random.Random(seed * 1000 + i), result) for i, k in enumerate(keys)
    ]
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=u.run, args=(deadline,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 300:  # what was left running (queued jobs, given-up edits) ends
        busy = [
            admin.get("/v1/jobs", params={"all": "true", "status": st, "limit": 1}).json()["data"]
            for st in ("queued", "running")
        ]
        if not any(busy):
            break
        time.sleep(0.2)
    result.settle_s = time.monotonic() - t0
    result.audit = admin.get("/v1/admin/audit").json()
    for k in [*keys, poor]:
        granted = CREDITS if k is not poor else 1
        with httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {k['key']}"}, timeout=120) as c:
            bal = c.get("/v1/balance").json()
            charged = c.get("/v1/usage", params={"group_by": "key"}).json()["totals"]["credits"]
            statement = c.get("/v1/statements").json()
        if bal["held"] != 0 or bal["available"] != granted - charged:
            result.balance_problems.append(f"{k['id']}: {bal} after {charged} charged of {granted}")
        if statement["closing_balance"] != bal["available"] or statement["charged"] != charged:
            result.balance_problems.append(
                f"{k['id']}: statement closes at {statement['closing_balance']}, charged {statement['charged']}"
            )
    admin.close()
    return result


def table(r: CampaignResult) -> str:
    """The campaign as a table: actions by status with latencies, then the audit."""
    rows = [f"{'action':<18}{'status':<14}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}", "-" * 57]
    for action in ACTIONS:
        lat = sorted(r.latencies.get(action, []))
        for (a, status), n in sorted(r.counts.items(), key=lambda x: str(x[0])):
            if a != action:
                continue
            p50 = lat[len(lat) // 2] * 1000 if lat else 0
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0
            rows.append(f"{action:<18}{status!s:<14}{n:>7}{p50:>9.0f}{p99:>9.0f}")
    a = r.audit
    rows += [
        "-" * 57,
        f"{r.requests} actions by {r.clients} clients in {r.seconds:.0f} s ({r.requests / r.seconds:.1f}/s); "
        f"left-over jobs ended {r.settle_s:.1f} s later",
        f"5xx answers: {len(r.server_errors)}; unexpected answers: {len(r.unexpected)}",
        f"jobs: {a.get('jobs')}",
        f"ledger audit: {'clean' if a.get('ok') else 'PROBLEMS'} ({a.get('entries')} entries, "
        f"{a.get('accounts')} accounts, {a.get('captured')} credits captured, {a.get('held')} held, "
        f"{a.get('problem_count')} problems)",
        f"balances == grants - usage, nothing held: {'yes' if not r.balance_problems else 'NO'}",
    ]
    rows += [f"  ! {p}" for p in (r.server_errors + r.unexpected + a.get("problems", []) + r.balance_problems)[:20]]
    return "\n".join(rows)
