"""Benchmark: cold-process timings of `retouch explain`, `retouch edit` at 1024² and the plain Pillow script.

Each command is a fresh Python process, exactly what a user's shell or a job runner starts:
`retouch explain -p PROMPT`, `retouch edit photo.png -p PROMPT -o out.png` (the same 3-step edit
as bench_edit.py: contrast +30%, saturation +30%, vignette) and the Pillow script of
bench_edit.py (`edit_pillow`) in a process of its own, plus `python -c pass` as the floor.
Runs are interleaved (one of each command per round) so machine load hits them alike; the
table has the best and median wall time, the best CPU time (user + system) and the ratio of
best wall times to the Pillow script. The goal (issue 9): both retouch commands at or below 1.0.

    .venv/bin/python bench/bench_startup.py                       # 7 rounds
    .venv/bin/python bench/bench_startup.py --compare ../main/src # also another checkout's retouch
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_edit import PROMPT, make_photo  # noqa: E402

#: The console script's body: `retouch` is `from retouch.cli import main; sys.exit(main())`.
RETOUCH = "import sys; from retouch.cli import main; sys.exit(main())"


PYCACHE = Path(tempfile.gettempdir()) / "retouch-bench-pycache"


def child_env(**extra: str) -> dict[str, str]:
    """The children's environment: bytecode caching on, as in an installed package (pip writes the
    .pyc files at install time), into a cache folder of the bench's own (nothing is written beside
    the sources); the untimed first run of each command fills it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra)
    return env


def commands(src: Path, photo: Path, out: Path, label: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The retouch commands, run from the `src` checkout."""
    env = child_env(PYTHONPATH=str(src))
    suffix = f" ({label})" if label else ""
    return {
        f"retouch explain{suffix}": ([sys.executable, "-c", RETOUCH, "explain", "-p", PROMPT], env),
        f"retouch edit 1024²{suffix}": (
            [sys.executable, "-c", RETOUCH, "edit", str(photo), "-p", PROMPT, "-o", str(out)], env),
    }


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; raises if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ...: {(proc.stderr or proc.stdout).strip()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="runs of each command, interleaved (default 7)")
    ap.add_argument("--compare", type=Path, help="another checkout's src/ to time beside this one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="retouch-startup-") as tmp:
        photo = Path(tmp) / "photo-1024.png"
        make_photo(1024, photo)
        out = Path(tmp) / "out.png"
        pillow = (
            "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from bench_edit import edit_pillow; edit_pillow(Path(sys.argv[2]), Path(sys.argv[3]))"
        )
        runs: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], child_env()),
            "pillow script 1024²": (
                [sys.executable, "-c", pillow, str(ROOT / "bench"), str(photo), str(Path(tmp) / "pil.png")],
                child_env(),
            ),
        }
        runs.update(commands(ROOT / "src", photo, out, "this checkout" if args.compare else ""))
        if args.compare:
            runs.update(commands(args.compare.resolve(), photo, out, str(args.compare)))
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for cmd, env in runs.values():  # one untimed run each: page cache and .pyc files warm
            run_once(cmd, env)
        for _ in range(args.rounds):
            for name, (cmd, env) in runs.items():
                times[name].append(run_once(cmd, env))
    base = min(w for w, _ in times["pillow script 1024²"])
    head = f"{'command':44} {'best ms':>8} {'median':>8} {'cpu ms':>8} {'÷ pillow':>9}"
    print(head)
    print("-" * len(head))
    for name, ts in times.items():
        walls = [w for w, _ in ts]
        cpu = min(c for _, c in ts)
        print(f"{name:44} {min(walls) * 1000:8.0f} {statistics.median(walls) * 1000:8.0f} "
              f"{cpu * 1000:8.0f} {min(walls) / base:9.2f}")
    print(f"\n{args.rounds} rounds, interleaved; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f} at the end. Target: retouch explain and edit ÷ pillow <= 1.00.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
