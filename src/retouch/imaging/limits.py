"""Resource limits of the image I/O layer, configurable through the environment.

- ``RETOUCH_MAX_PIXELS`` (default 64,000,000): the most pixels (width x height, as the
  file declares them) an input may have. Checked from the file header before any pixel
  is decoded, so a decompression bomb (a tiny file declaring a huge image) fails in
  milliseconds. 64 MP covers every current camera sensor and costs about 192 MB as RGB.
- ``RETOUCH_THREADS`` (default: the number of CPUs, at most 8): worker threads the PNG
  encoder uses to compress strips in parallel.

Both are read on every call, so a server can change them without a restart.
"""

from __future__ import annotations

import os

from ..errors import ImageTooLargeError, OptionError

ENV_MAX_PIXELS = "RETOUCH_MAX_PIXELS"
ENV_THREADS = "RETOUCH_THREADS"
DEFAULT_MAX_PIXELS = 64_000_000
_MAX_DEFAULT_THREADS = 8


def _env_int(name: str, default: int) -> int:
    """A positive integer from the environment (underscores allowed), or `default` when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise OptionError(f"{name} must be a positive whole number, got {raw!r}", param=name)
    return value


def max_pixels() -> int:
    """The configured pixel limit for inputs (env RETOUCH_MAX_PIXELS, default 64,000,000)."""
    return _env_int(ENV_MAX_PIXELS, DEFAULT_MAX_PIXELS)


def threads() -> int:
    """Worker threads for parallel encoding (env RETOUCH_THREADS, default min(CPUs, 8))."""
    return _env_int(ENV_THREADS, max(1, min(os.cpu_count() or 1, _MAX_DEFAULT_THREADS)))


def too_large_message(what: str, width: int | None, height: int | None, pixels: int, limit: int) -> str:
    """The one-line explanation of a refused oversized input, with the way to raise the limit."""
    dims = f"{width}x{height} ({pixels:,} pixels)" if width and height else f"{pixels:,} pixels"
    return (
        f"{what} is {dims}, more than the limit of {limit:,} pixels; "
        f"set {ENV_MAX_PIXELS} to a higher value to allow it"
    )


def check_pixels(width: int, height: int, *, limit: int | None = None, what: str = "image") -> None:
    """Raise ImageTooLargeError when width x height exceeds `limit` (default: max_pixels())."""
    limit = max_pixels() if limit is None else limit
    pixels = width * height
    if pixels > limit:
        raise ImageTooLargeError(too_large_message(what, width, height, pixels, limit))
