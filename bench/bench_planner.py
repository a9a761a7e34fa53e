"""How fast the planner reads an instruction: warm `retouch explain` per request, and a cold process.

    .venv/bin/python bench/bench_planner.py            # warm ms/request over the held-out requests, cold explain
    .venv/bin/python bench/bench_planner.py --repeat 5

Warm: `plan_from_text` on every request of tests/data/requests_heldout.jsonl (real-style requests:
forum posts, terse FiveK edits, descriptions) after one warm-up pass; the CLI path (`main(["explain",
"--json", ...])`) is timed too. Target (issue 9): ≤ 2 ms per request warm. Cold: whole `retouch
explain` processes, best of --repeat.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = ROOT / "tests" / "data" / "requests_heldout.jsonl"


def texts() -> list[str]:
    """The request texts to time."""
    return [json.loads(line)["text"] for line in REQUESTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def warm_plan(prompts: list[str], repeat: int) -> list[float]:
    """ms per request of plan_from_text, each pass over all prompts (refusals included)."""
    from retouch.errors import RetouchError
    from retouch.planner import plan_from_text

    def one_pass() -> float:
        t = time.perf_counter()
        for p in prompts:
            with contextlib.suppress(RetouchError):
                plan_from_text(p)
        return (time.perf_counter() - t) * 1000 / len(prompts)

    one_pass()
    return [one_pass() for _ in range(repeat)]


def warm_cli(prompts: list[str], repeat: int) -> list[float]:
    """ms per request of the CLI entry point `retouch explain --json` in-process (output captured)."""
    from retouch.cli import main

    def one_pass() -> float:
        t = time.perf_counter()
        for p in prompts:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                main(["explain", "--json", "-p", p])
        return (time.perf_counter() - t) * 1000 / len(prompts)

    one_pass()
    return [one_pass() for _ in range(repeat)]


#: Misspellings the typo matcher sees (each ≥ 5 letters, as text.fuzzy requires).
TYPOS = ("brigthen", "contarst", "saturaton", "vignete", "sharpn", "imgae", "backgound", "warmmer", "exposre", "shadws")


def _osa_reference(a: str, b: str, limit: int) -> int:
    """The pure-Python optimal-string-alignment distance the planner used before rapidfuzz (for comparison)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def typo_match(repeat: int, *, library: bool) -> list[float]:
    """ms per misspelt word to find the vocabulary words within its edit limit (rapidfuzz or the reference)."""
    from retouch.planner.text import _FUZZY_TARGETS
    from retouch.planner.typos import near_words

    def one_pass() -> float:
        t = time.perf_counter()
        for w in TYPOS:
            limit = 2 if len(w) >= 10 else 1
            if library:
                near_words(w, _FUZZY_TARGETS, limit)
            else:
                [c for c in _FUZZY_TARGETS if _osa_reference(w, c, limit) <= limit]
        return (time.perf_counter() - t) * 1000 / len(TYPOS)

    one_pass()
    return [one_pass() for _ in range(repeat)]


def cold_explain(repeat: int, prompt: str = "brighten by 20% and add a vignette") -> list[float]:
    """ms of whole `retouch explain` processes."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "retouch", "explain", "-p", prompt],
            check=True,
            capture_output=True,
        )
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    prompts = texts()
    rows = [
        ("plan_from_text, warm", warm_plan(prompts, args.repeat), "ms/request"),
        ("retouch explain --json, warm (in-process)", warm_cli(prompts, args.repeat), "ms/request"),
        ("retouch explain, cold process", cold_explain(args.repeat), "ms"),
        ("retouch explain, cold, with a typo (rapidfuzz)", cold_explain(args.repeat, "brigthen it a bit"), "ms"),
        ("typo lookup, rapidfuzz OSA", typo_match(args.repeat, library=True), "ms/word"),
        ("typo lookup, pure-Python OSA (before)", typo_match(args.repeat, library=False), "ms/word"),
    ]
    print(f"{len(prompts)} requests from {REQUESTS.relative_to(ROOT)}; best and median of {args.repeat}")
    print(f"{'measure':<44} {'best':>8} {'median':>8}  unit")
    for name, values, unit in rows:
        print(f"{name:<44} {min(values):>8.2f} {statistics.median(values):>8.2f}  {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
