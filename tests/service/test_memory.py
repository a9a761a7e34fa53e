"""The server keeps freed memory for reuse: an edit-like allocation pattern on a worker
thread must stop faulting its pages in again on every repetition."""

from __future__ import annotations

import subprocess
import sys

import pytest

from retouch.service.memory import keep_freed_memory

SCRIPT = """
import resource, sys, threading
import numpy as np
from retouch.service.memory import keep_freed_memory
if sys.argv[1] == "tuned":
    assert keep_freed_memory(64)

def edits():
    for _ in range(20):
        pixels = np.ones((1024, 1024, 3), np.float32)   # 12 MB, as a decoded image
        out = (pixels * 2).astype(np.uint8)             # 3 MB
        encoded = bytes(out) + b"x"                     # 3 MB
        del pixels, out, encoded

before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t = threading.Thread(target=edits)
t.start()
t.join()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_kept_memory_is_not_faulted_in_again() -> None:
    plain, tuned = _faults("plain"), _faults("tuned")
    # 20 rounds of 18 MB: ~4,600 pages each when every block goes back to the kernel
    assert plain > 20_000
    assert tuned < plain / 5


def test_zero_leaves_the_allocator_alone() -> None:
    assert keep_freed_memory(0) is False
