"""Benchmark the HTTP API: N concurrent openai-SDK clients against `retouch serve` on loopback.

1. Overhead: the same 1024x1024 PNG and 3-step instruction, one request at a time, through
   the official `openai` SDK (`client.images.edit`: multipart upload, server, base64 JSON
   back, decoded) against the in-process `retouch.edit(...)` on the same bytes, interleaved,
   in the same run. Target: SDK round trip <= 1.25x in-process.
2. Load: N clients (threads, one API key each) send M requests each; throughput and latency
   percentiles.
3. Money: afterwards every key's balance must equal its grant minus its captured usage, with
   nothing left on hold, and the statement must agree with the usage report.

    .venv/bin/python bench/bench_api.py                      # 4 clients x 8 requests
    .venv/bin/python bench/bench_api.py --clients 8 --requests 10 --size 1024 --repeat 7
    .venv/bin/python bench/bench_api.py --database-url postgresql://user:pw@127.0.0.1/db
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "increase the contrast by 20%, boost the saturation slightly and add a subtle vignette"
PHOTO = ROOT.parent / "shared" / "eval" / "photos" / "chelsea.png"
TARGET_RATIO = 1.25
CREDITS = 100_000_000


def photo_png(size: int) -> bytes:
    """A photo-like PNG: the eval photo (or a synthetic scene) resized, with sensor-like grain."""
    import cv2
    from PIL import Image

    if PHOTO.is_file():
        base = np.asarray(Image.open(PHOTO).convert("RGB"))
    else:
        y, x = np.mgrid[0:300, 0:450].astype(np.float32)
        base = np.dstack([128 + 100 * np.sin(x / 40), 128 + 90 * np.cos(y / 33),
                          128 + 60 * np.sin((x + y) / 57)]).astype(np.uint8)
    h, w = base.shape[:2]
    side = min(h, w)
    base = base[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2]
    img = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += np.random.default_rng(size).normal(0, 2.0, img.shape).round().astype(np.int16)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


class ServerProcess:
    """`retouch serve` on a free loopback port with a throwaway data directory."""

    def __init__(self, workers: int, database_url: str | None) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="retouch-bench-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = Path(self.tmp.name) / "server.log"
        env = {**os.environ, "RETOUCH_ACCESS_LOG": "false", "RETOUCH_LOG_LEVEL": "WARNING",
               "RETOUCH_ADMIN_CREDITS": str(CREDITS)}
        if database_url:
            env["RETOUCH_DATABASE_URL"] = database_url
        cmd = [sys.executable, "-m", "retouch.service.cli", "serve", "--port", str(self.port),
               "--data-dir", self.tmp.name, "--workers", str(workers), "--no-login-link"]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, env=env)  # noqa: SIM115
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        keys = re.findall(r"^\s+(rt_live_\S+)$", self.log.read_text(), re.M)
        if not keys:
            raise SystemExit("no admin key in the server output (is the data directory fresh?)")
        self.admin_key = keys[0]

    def new_key(self, name: str) -> dict:
        import httpx

        r = httpx.post(self.base_url + "/v1/admin/keys", headers={"authorization": f"Bearer {self.admin_key}"},
                       json={"name": name, "credits": CREDITS, "tier": "unlimited"}, timeout=30)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.tmp.cleanup()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def sdk_client(server: ServerProcess, key: str):  # type: ignore[no-untyped-def]
    from openai import OpenAI

    return OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0, timeout=600)


def sdk_edit(client, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
    import base64

    r = client.images.edit(image=("photo.png", data, "image/png"), prompt=PROMPT)
    return base64.b64decode(r.data[0].b64_json)


def overhead(server: ServerProcess, data: bytes, repeat: int) -> dict[str, float]:
    """Median seconds of the in-process call and of the SDK round trip, interleaved; and where
    the difference goes, from the server's `server-timing` and `openai-processing-ms` headers."""
    import base64

    import retouch

    client = sdk_client(server, server.new_key("overhead")["key"])
    local_out = retouch.edit(data, PROMPT).images[0]          # warm both paths (lazy imports, pools)
    remote_out = sdk_edit(client, data)
    assert local_out == remote_out, "the server must return exactly the in-process result"
    local, remote, server_extra, engine = [], [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        retouch.edit(data, PROMPT)
        local.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw = client.images.with_raw_response.edit(image=("photo.png", data, "image/png"), prompt=PROMPT)
        base64.b64decode(raw.parse().data[0].b64_json)
        remote.append(time.perf_counter() - t)
        timing = dict(x.split(";dur=") for x in raw.headers["server-timing"].split(", "))
        engine.append(float(timing["engine"]) / 1000)
        server_extra.append(float(raw.headers["openai-processing-ms"]) / 1000 - engine[-1])
    return {"local": statistics.median(local), "remote": statistics.median(remote),
            "local_min": min(local), "remote_min": min(remote), "engine": statistics.median(engine),
            "server_extra": statistics.median(server_extra)}


def load(server: ServerProcess, data: bytes, clients: int, requests: int) -> tuple[dict, list[dict]]:
    keys = [server.new_key(f"client-{i}") for i in range(clients)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def run(key: str) -> None:
        client = sdk_client(server, key)
        barrier.wait()
        for _ in range(requests):
            t = time.perf_counter()
            try:
                sdk_edit(client, data)
            except Exception as e:  # counted, not fatal: the table shows them
                with lock:
                    errors.append(f"{type(e).__name__}: {e}")
                continue
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=run, args=(k["key"],)) for k in keys]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"wall": wall, "ok": len(latencies), "errors": errors, "latencies": latencies}, keys


def check_money(server: ServerProcess, keys: list[dict]) -> list[str]:
    """Balance == grant - captured usage; nothing held; statement == usage report."""
    import httpx

    problems = []
    for k in keys:
        with httpx.Client(base_url=server.base_url, headers={"authorization": f"Bearer {k['key']}"},
                          timeout=60) as c:
            bal = c.get("/v1/balance").json()
            usage = c.get("/v1/usage", params={"group_by": "key"}).json()["totals"]
            st = c.get("/v1/statements").json()
        if bal["held"] != 0:
            problems.append(f"{k['name']}: {bal['held']} credits still held")
        if bal["available"] != CREDITS - usage["credits"]:
            problems.append(f"{k['name']}: balance {bal['available']} != {CREDITS} - {usage['credits']}")
        if st["charged"] != usage["credits"] or st["closing_balance"] != bal["available"]:
            problems.append(f"{k['name']}: statement disagrees with usage/balance")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=8, help="per client")
    ap.add_argument("--size", type=int, default=1024, help="side of the square input PNG")
    ap.add_argument("--repeat", type=int, default=7, help="runs of the overhead comparison")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server worker threads")
    ap.add_argument("--database-url", help="PostgreSQL instead of the default SQLite")
    args = ap.parse_args()

    data = photo_png(args.size)
    server = ServerProcess(args.workers, args.database_url)
    try:
        ov = overhead(server, data, args.repeat)
        res, keys = load(server, data, args.clients, args.requests)
        problems = check_money(server, keys)
    finally:
        server.stop()

    lat = res["latencies"]
    ratio = ov["remote"] / ov["local"]
    print(f"\nretouch API benchmark: {args.size}x{args.size} PNG ({len(data) / 1e6:.2f} MB), "
          f"\"{PROMPT}\", {args.workers} server workers, {os.cpu_count()} CPUs, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}\n")
    print(f"{'measure':<42}{'value':>14}")
    print("-" * 56)
    rows = [
        ("in-process retouch.edit, median", f"{ov['local'] * 1000:.0f} ms"),
        ("SDK round trip (openai.images.edit), median", f"{ov['remote'] * 1000:.0f} ms"),
        ("ratio SDK / in-process (target <= 1.25)", f"{ratio:.2f}x"),
        ("ratio of the fastest runs", f"{ov['remote_min'] / ov['local_min']:.2f}x"),
        ("  engine inside the server, median", f"{ov['engine'] * 1000:.0f} ms"),
        ("  server overhead (processing - engine)", f"{ov['server_extra'] * 1000:.0f} ms"),
        ("  client + transfer (the rest)", f"{(ov['remote'] - ov['engine'] - ov['server_extra']) * 1000:.0f} ms"),
        (f"load: {args.clients} clients x {args.requests} requests", f"{res['ok']} ok, {len(res['errors'])} failed"),
        ("throughput", f"{res['ok'] / res['wall']:.2f} req/s"),
        ("latency p50", f"{pct(lat, 50) * 1000:.0f} ms" if lat else "-"),
        ("latency p90", f"{pct(lat, 90) * 1000:.0f} ms" if lat else "-"),
        ("latency p99", f"{pct(lat, 99) * 1000:.0f} ms" if lat else "-"),
        ("latency max", f"{max(lat) * 1000:.0f} ms" if lat else "-"),
        ("balances == grants - captured usage", "yes" if not problems else "NO"),
    ]
    for name, value in rows:
        print(f"{name:<42}{value:>14}")
    for p in problems + res["errors"][:5]:
        print("  !", p)
    ok = not problems and not res["errors"] and ratio <= TARGET_RATIO
    print(f"\n{'PASS' if ok else 'FAIL'}: overhead {ratio:.2f}x (target <= {TARGET_RATIO}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
