"""Tiny loopback HTTP servers for the tests: image hosts, redirectors, slow and huge bodies,
webhook receivers that fail on purpose."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler], None]


class Loopback:
    """Routes: path -> handler(request). Records every request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[dict[str, Any]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "at": time.time(),
                    }
                )
                handler = outer.routes.get(self.path.split("?")[0])
                if handler is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                handler(self)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that hang up on purpose (size and time limits) are expected

        self.httpd = Quiet((host, 0), H)
        self.port = self.httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def body(data: bytes, content_type: str = "application/octet-stream", status: int = 200) -> Handler:
    def h(r: BaseHTTPRequestHandler) -> None:
        r.send_response(status)
        r.send_header("content-type", content_type)
        r.send_header("content-length", str(len(data)))
        r.end_headers()
        r.wfile.write(data)

    return h


def redirect(location: str, status: int = 302) -> Handler:
    def h(r: BaseHTTPRequestHandler) -> None:
        r.send_response(status)
        r.send_header("location", location)
        r.send_header("content-length", "0")
        r.end_headers()

    return h


def slow(data: bytes, delay: float) -> Handler:
    def h(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.send_header("content-length", str(len(data) * 10))
        r.end_headers()
        for _ in range(10):
            r.wfile.write(data)
            r.wfile.flush()
            time.sleep(delay)

    return h


def streaming_without_length(chunk: bytes, count: int) -> Handler:
    def h(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.end_headers()
        for _ in range(count):
            r.wfile.write(chunk)
        r.close_connection = True

    return h


def statuses(codes: list[int]) -> Handler:
    """Answer with codes[0], codes[1], ... then the last one forever."""
    seen = [0]

    def h(r: BaseHTTPRequestHandler) -> None:
        code = codes[min(seen[0], len(codes) - 1)]
        seen[0] += 1
        r.send_response(code)
        r.send_header("content-length", "0")
        r.end_headers()

    return h
