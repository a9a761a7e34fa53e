"""Server-sent events, formatted as OpenAI streams them (`event:` line + one `data:` JSON line)."""

from __future__ import annotations

import json
from typing import Any

KEEPALIVE = b": keepalive\n\n"


def sse(event: str, data: dict[str, Any], *, event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
