"""Benchmark reading a multipart image upload the way POST /v1/images/edits does.

Builds the body the official SDK sends (an image part, prompt and options) with httpx,
feeds it through an ASGI `receive` in 64 KB chunks (as uvicorn delivers it) to the
endpoint's body reader (python-multipart into memory, api/forms.py) and, for comparison, to
Starlette's `request.form()` (python-multipart, files spooled to disk) followed by reading
the file back; milliseconds per body for a 2 MB and a 64 MB image (median of --repeat runs,
in the same process).

    .venv/bin/python bench/bench_multipart.py
    .venv/bin/python bench/bench_multipart.py --sizes 2 64 200 --repeat 9
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from types import SimpleNamespace
from typing import Any

import httpx
from starlette.requests import Request

from retouch.api.routes.images import read_edit_body
from retouch.service.keys import Principal
from retouch.service.settings import ServiceSettings

CHUNK = 64 * 1024


def multipart_body(image_bytes: int) -> tuple[bytes, str]:
    """(body, content type) of an SDK-like image edit request."""
    image = os.urandom(image_bytes)
    req = httpx.Request(
        "POST",
        "http://bench/v1/images/edits",
        files={"image": ("photo.png", image, "image/png")},
        data={"prompt": "increase the contrast by 20%", "model": "retouch-builtin", "size": "auto", "n": "1"},
    )
    return req.read(), req.headers["content-type"]


async def read_once(body: bytes, ctype: str, svc: Any, reader: str = "endpoint") -> float:
    chunks = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    it = iter(range(len(chunks)))

    async def receive() -> dict[str, Any]:
        i = next(it, None)
        if i is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/images/edits",
        "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())],
        "query_string": b"",
    }
    request = Request(scope, receive)
    principal = Principal(key_id="k", account_id="a", scopes=frozenset({"edit"}), tier=None)
    t = time.perf_counter()
    if reader == "endpoint":
        got = await read_edit_body(request, svc, principal)
        assert got.raw["prompt"].startswith("increase")
    else:
        form = await request.form(max_files=20, max_fields=200)
        image = form["image"]
        assert not isinstance(image, str) and len(await image.read()) > 0
        await form.close()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2, 64], help="image part sizes in MB")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    largest = max(args.sizes) * 1024 * 1024 + 1
    svc = SimpleNamespace(settings=ServiceSettings(max_image_bytes=largest, max_images=16))
    print(f"{'reader':<24} {'image part':>10} {'body':>8} {'median ms':>10} {'min ms':>8} {'MB/s':>7}")
    for mb in args.sizes:
        body, ctype = multipart_body(mb * 1024 * 1024)
        for reader, label in (("endpoint", "endpoint (api/forms.py)"), ("form", "request.form() + read")):
            times = []
            for _ in range(args.repeat):  # interleaved would mix caches; each reader warms alike
                times.append(asyncio.run(read_once(body, ctype, svc, reader)))
            med = statistics.median(times)
            print(f"{label:<24} {mb:>7} MB {len(body) / 1e6:>6.1f}MB {med * 1000:>10.1f} "
                  f"{min(times) * 1000:>8.1f} {len(body) / 1e6 / med:>7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
