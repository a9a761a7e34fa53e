"""A fake OpenAI Images API on loopback that replays the real contract of `POST /v1/images/edits`.

Multipart fields as the official SDK sends them (`image` or `image[]`, `mask`, scalar
fields), the `ImagesResponse` body with `b64_json` and `usage`, SSE events
`image_edit.partial_image` / `image_edit.completed` for `stream=true`, OpenAI's error
body `{"error": {"message", "type", "param", "code"}}` and headers (`x-request-id`,
`retry-after` on 429). The "model" re-renders every pixel (it inverts the first image
and scales it to the requested size), so that tests can see what retouch restores.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image

USAGE = {
    "input_tokens": 150,
    "input_tokens_details": {"image_tokens": 130, "text_tokens": 20},
    "output_tokens": 1056,
    "total_tokens": 1206,
    "output_tokens_details": {"image_tokens": 1056, "text_tokens": 0},
}
STANDARD = {"1024x1024", "1536x1024", "1024x1536"}
FREE_SIZE_MODELS = ("gpt-image-2",)


@dataclass
class Received:
    """One request as the server saw it."""

    headers: dict[str, str]
    fields: dict[str, str]
    files: dict[str, list[bytes]]


@dataclass
class Scripted:
    """A canned failure for the next request: status, error body, headers, or a delay."""

    status: int = 500
    error: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def error(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"message": message, "type": type_, "param": param, "code": code}


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Scripted] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake.handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # The engine's own timeouts hang up on purpose; a traceback printed from this
                # thread would land in whichever test captures stderr next.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.script.clear()

    # ---- the endpoint

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("content-length", 0)))
        if h.path != "/v1/images/edits":
            return self.send_json(h, 404, {"error": error(f"Invalid URL (POST {h.path})")})
        fields, files = parse_multipart(h.headers["content-type"], body)
        with self.lock:
            self.requests.append(Received({k.lower(): v for k, v in h.headers.items()}, fields, files))
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            time.sleep(scripted.delay_s)
            if scripted.status != 200:
                return self.send_json(h, scripted.status, {"error": scripted.error}, scripted.headers)
        if h.headers.get("authorization", "") in ("", "Bearer "):
            return self.send_json(h, 401, {"error": error("You didn't provide an API key.", code=None)})
        problem = self.validate(fields, files)
        if problem is not None:
            return self.send_json(h, 400, {"error": problem})
        n = int(fields.get("n", "1"))
        size = fields.get("size", "auto")
        first = files.get("image") or files.get("image[]")
        out = render(first[0], size, fields.get("background") == "transparent")
        b64 = base64.b64encode(out).decode()
        w, hgt = Image.open(io.BytesIO(out)).size
        common = {
            "background": "transparent" if fields.get("background") == "transparent" else "opaque",
            "output_format": fields.get("output_format", "png"),
            "quality": fields.get("quality", "auto") if fields.get("quality") != "auto" else "medium",
            "size": f"{w}x{hgt}",
        }
        if fields.get("stream") == "true":
            return self.send_stream(h, b64, int(fields.get("partial_images", "0")), n, common)
        return self.send_json(
            h, 200, {"created": int(time.time()), "data": [{"b64_json": b64}] * n, "usage": USAGE, **common}
        )

    def validate(self, fields: dict[str, str], files: dict[str, list[bytes]]) -> dict[str, Any] | None:
        """A few of the API's own checks, with its wording and codes."""
        images = files.get("image", []) + files.get("image[]", [])
        if not images:
            return error("Missing required parameter: 'image'.", param="image", code="missing_required_parameter")
        if "prompt" not in fields:
            return error("Missing required parameter: 'prompt'.", param="prompt", code="missing_required_parameter")
        model = fields.get("model", "gpt-image-1.5")
        if model.startswith(FREE_SIZE_MODELS) and "input_fidelity" in fields:
            return error("Unknown parameter: 'input_fidelity'.", param="input_fidelity", code="unknown_parameter")
        size = fields.get("size", "auto")
        if size != "auto":
            w, h = (int(v) for v in size.split("x"))
            free = model.startswith(FREE_SIZE_MODELS)
            if (not free and size not in STANDARD) or (free and (w % 16 or h % 16 or max(w / h, h / w) > 3)):
                return error(
                    f"Invalid value: '{size}'. Supported values are: '1024x1024', '1024x1536', "
                    "'1536x1024', and 'auto'.",
                    param="size",
                    code="invalid_value",
                )
        if "mask" in files:
            m = Image.open(io.BytesIO(files["mask"][0]))
            im = Image.open(io.BytesIO(images[0]))
            if m.format != "PNG" or "A" not in m.getbands():
                return error(
                    "Invalid mask image format - mask image missing alpha channel.",
                    param="mask",
                    code="invalid_image_format",
                )
            if m.size != im.size:
                return error(
                    "Invalid mask image dimensions - mask must be the same size as the image.",
                    param="mask",
                    code="invalid_mask_image_dimensions",
                )
        return None

    # ---- responses

    @staticmethod
    def send_json(h: BaseHTTPRequestHandler, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.send_header("x-request-id", "req_fake123")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def send_stream(h: BaseHTTPRequestHandler, b64: str, partials: int, n: int, common: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("x-request-id", "req_fake123")
        h.send_header("connection", "close")
        h.end_headers()
        now = int(time.time())
        for k in range(partials):
            ev = {
                "type": "image_edit.partial_image",
                "b64_json": b64,
                "created_at": now,
                "partial_image_index": k,
                **common,
            }
            h.wfile.write(f"event: image_edit.partial_image\ndata: {json.dumps(ev)}\n\n".encode())
            h.wfile.flush()
        usage = {k: v for k, v in USAGE.items() if k != "output_tokens_details"}
        for _ in range(n):
            ev = {
                "type": "image_edit.completed",
                "b64_json": b64,
                "created_at": now,
                "usage": usage,
                **common,
            }
            h.wfile.write(f"event: image_edit.completed\ndata: {json.dumps(ev)}\n\n".encode())
        h.wfile.flush()
        h.close_connection = True


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, list[bytes]]]:
    msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, list[bytes]] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files.setdefault(name, []).append(payload)
        else:
            fields[name] = payload.decode()
    return fields, files


def render(image: bytes, size: str, transparent: bool) -> bytes:
    """The fake model: invert the first image and scale it to the requested size."""
    im = Image.open(io.BytesIO(image)).convert("RGB")
    w, h = (1024, 1024) if size == "auto" else (int(v) for v in size.split("x"))
    arr = 255 - np.asarray(im.resize((w, h), Image.BILINEAR))
    if transparent:
        alpha = np.full((h, w, 1), 255, np.uint8)
        alpha[: h // 4, : w // 4] = 0
        arr = np.concatenate([arr, alpha], axis=2)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()
