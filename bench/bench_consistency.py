"""Benchmark: how uniform a set becomes with `retouch batch --consistent`, and what it costs.

Sets (bench/catalogue.py): a shop's catalogue (different products on a light backdrop), a
series (one product), each shot with exposure ×0.6–1.4, colour casts, the product at varied
positions and scales and in varied frame shapes; and the example photos under mixed exposure
and casts. For each set it prints, before and after, the spread (standard deviation across the
set) of:

- mean luminance (Rec.709 luma of the mean colour, 0..1);
- gray-world chroma (ln R/G, ln B/G of the mean colour; the spread is the RMS distance to the
  set's mean) — for the catalogues also of the backdrop alone (ground-truth background pixels);
- subject centre (x, y fractions of the frame; RMS distance) and subject size (the share of the
  frame the subject's box fills in its limiting dimension, max(w/W, h/H)).

Subject figures come from the ground-truth masks, carried through each image's framing steps (so
the measurement does not trust retouch's own segmentation); for the example photos, which have
no masks, they are measured with retouch's segmentation (marked "seg"). It also checks that every
output has the same size and that no subject pixel was cut off (mask area kept, not touching the
frame).

`--memory N` instead runs `retouch batch --consistent -j J` on N 12-megapixel JPEGs in a child
process and prints its peak resident memory (os.wait4's ru_maxrss) next to the decoded size of
one image, and against a 1-image run (what Python and the libraries take).

    .venv/bin/python bench/bench_consistency.py                  # the three sets, spreads before/after
    .venv/bin/python bench/bench_consistency.py --n 12 --keep /tmp/c   # keep inputs, outputs, sheets
    .venv/bin/python bench/bench_consistency.py --memory 200 -j 2      # peak memory on 200 x 12 MP
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.catalogue import Shot, catalogue, iter_catalogue, photo_set  # noqa: E402

LUMA = np.array([0.2126, 0.7152, 0.0722])
TARGET = 0.25


@dataclass
class Measures:
    """Per-image figures of one side (before or after) of a set."""

    luminance: list[float]
    chroma: list[tuple[float, float]]
    backdrop_chroma: list[tuple[float, float]]
    backdrop_luminance: list[float]
    centre: list[tuple[float, float]]
    fill: list[float]


def spread(values: list[float] | list[tuple[float, float]]) -> float:
    """Standard deviation (1-D) or RMS distance to the mean (2-D)."""
    a = np.asarray(values, np.float64)
    if a.size == 0:
        return float("nan")
    if a.ndim == 1:
        return float(a.std())
    return float(np.sqrt(((a - a.mean(0)) ** 2).sum(1).mean()))


def colour_figures(rgb: np.ndarray, fg: np.ndarray | None) -> tuple[float, tuple[float, float], tuple[float, float] | None, float | None]:  # noqa: E501
    """(mean luminance, gray-world chroma, backdrop chroma, backdrop luminance) of a uint8 image."""
    f = rgb[..., :3].astype(np.float64) / 255
    mean = f.reshape(-1, 3).mean(0)
    chroma = (float(np.log(mean[0] / mean[1])), float(np.log(mean[2] / mean[1])))
    if fg is None or (~fg).sum() < 16:
        return float(LUMA @ mean), chroma, None, None
    back = f[~fg].mean(0)
    return (float(LUMA @ mean), chroma, (float(np.log(back[0] / back[1])), float(np.log(back[2] / back[1]))),
            float(LUMA @ back))


def subject_figures(fg: np.ndarray) -> tuple[tuple[float, float], float] | None:
    """(box centre, fill) of a subject mask."""
    ys, xs = np.where(fg.any(1))[0], np.where(fg.any(0))[0]
    if len(ys) == 0:
        return None
    h, w = fg.shape
    x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
    return ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h), max((x1 - x0) / w, (y1 - y0) / h)


def carry_mask(fg: np.ndarray, plan: object) -> np.ndarray:
    """The ground-truth mask through the plan's geometry steps (what the output's mask is)."""
    from retouch.engines.builtin import run_plan
    from retouch.ops.registry import get_op
    from retouch.schema import EditPlan

    steps = [s for s in plan.steps if get_op(s.op).info.kind == "geometry"]  # type: ignore[attr-defined]
    m = np.repeat((fg.astype(np.uint8) * 255)[..., None], 3, axis=2)
    out = run_plan(m, EditPlan(prompt="", steps=steps), [m], quality="medium")
    return out[..., 0] >= 128


def seg_mask(rgb: np.ndarray) -> np.ndarray:
    """retouch's own subject mask (for photos without ground truth)."""
    from retouch.vision.subject import subject_matte

    return subject_matte(rgb, quality="low") > 0.5


def figures(images: list[np.ndarray], masks: list[np.ndarray | None]) -> Measures:
    m = Measures([], [], [], [], [], [])
    for rgb, fg in zip(images, masks, strict=True):
        lum, ch, bch, blum = colour_figures(rgb, fg)
        m.luminance.append(lum)
        m.chroma.append(ch)
        if bch is not None and blum is not None:
            m.backdrop_chroma.append(bch)
            m.backdrop_luminance.append(blum)
        sub = subject_figures(fg if fg is not None else seg_mask(rgb))
        if sub is not None:
            m.centre.append(sub[0])
            m.fill.append(sub[1])
    return m


def run_set(
    name: str, shots: list[Shot], prompt: str, jobs: int, work: Path, *, info: tuple[str, ...] = (), why: str = ""
) -> dict[str, object]:
    """Write the set, run the consistent batch, measure both sides; print and return the rows.

    Rows named in `info` are printed without the target (what the set does not vary, or what its
    content decides), with `why`.
    """
    import retouch
    from retouch.consistency.sheet import contact_sheet

    src, dst = work / name / "in", work / name / "out"
    src.mkdir(parents=True, exist_ok=True)
    dst.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in shots:
        p = src / f"{s.name}.png"
        cv2.imwrite(str(p), cv2.cvtColor(s.rgb, cv2.COLOR_RGB2BGR))
        paths.append(p)
    t0 = time.perf_counter()
    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())

    result = retouch.batch(paths, prompt, out_dir=dst, consistent=True, jobs=jobs, progress=progress)
    seconds = time.perf_counter() - t0
    measuring = stages.get("editing", t0) - stages.get("measuring", t0)
    outs = [cv2.cvtColor(cv2.imread(str(it.output), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for it in result.items]
    gt = shots[0].fg is not None
    out_masks = [carry_mask(s.fg, it.plan) if s.fg is not None else None for s, it in zip(shots, result.items,
                                                                                         strict=True)]
    before = figures([s.rgb for s in shots], [s.fg for s in shots])
    after = figures(outs, out_masks)
    sizes = {o.shape[1::-1] for o in outs}
    whole = []
    for s, it, m in zip(shots, result.items, out_masks, strict=True):
        if s.fg is None or m is None:
            continue
        kept = m.sum() / max(1.0, s.fg.sum() * _area_scale(it.plan, s.fg.shape))
        edge = bool(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any())
        whole.append(0.97 <= kept <= 1.03 and not edge)
    sheet = contact_sheet([s.rgb for s in shots], outs, cell=140, columns=12)
    cv2.imwrite(str(work / f"{name}-sheet.jpg"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])

    rows = [
        ("mean luminance", spread(before.luminance), spread(after.luminance)),
        ("gray-world chroma", spread(before.chroma), spread(after.chroma)),
    ]
    if before.backdrop_chroma:
        rows += [
            ("backdrop luminance", spread(before.backdrop_luminance), spread(after.backdrop_luminance)),
            ("backdrop chroma", spread(before.backdrop_chroma), spread(after.backdrop_chroma)),
        ]
    how = "" if gt else " (seg)"
    rows += [
        (f"subject centre{how}", spread(before.centre), spread(after.centre)),
        (f"subject size{how}", spread(before.fill), spread(after.fill)),
    ]
    frame = f"{shots[0].rgb.shape[1]}x{shots[0].rgb.shape[0]}"
    print(f"\n{name}: {len(shots)} images (first {frame}), prompt {prompt!r}, -j {jobs}: {seconds:.1f} s = "
          f"{1000 * seconds / len(shots):.0f} ms/image ({1000 * measuring / len(shots):.0f} measuring)")
    print(f"  {'metric':24} {'before std':>11} {'after std':>10} {'after/before':>13}  target ≤ {TARGET:.2f}")
    for label, b, a in rows:
        ratio = a / b if b > 0 else float("nan")
        ok = f"info: {why}" if label in info else "ok" if ratio <= TARGET else "MISSED"
        print(f"  {label:24} {b:11.4f} {a:10.4f} {ratio:13.3f}  {ok}")
    print(f"  output sizes: {len(sizes)} distinct {sorted(sizes)}")
    if whole:
        print(f"  subject kept whole (mask area within 3%, clear of the frame): {sum(whole)}/{len(whole)}")
    return {"name": name, "rows": rows, "sizes": sorted(sizes), "whole": whole, "seconds": seconds}


def _area_scale(plan: object, shape: tuple[int, ...]) -> float:
    """Output pixels per input pixel of the framing (1 without a resize)."""
    h, w = shape[:2]
    cw, ch = float(w), float(h)
    for s in plan.steps:  # type: ignore[attr-defined]
        if s.op == "crop_box":
            bx = s.params["box"]
            cw, ch = round(bx[2] * w) - round(bx[0] * w), round(bx[3] * h) - round(bx[1] * h)
        elif s.op == "resize":
            return s.params["width"] / cw * s.params["height"] / ch
    return 1.0


# --------------------------------------------------------------------------- memory


def write_big_set(n: int, folder: Path, unique: int = 20) -> list[Path]:
    """n 12-megapixel JPEGs (4000x3000 and 3000x4000): `unique` distinct shots, repeated under other names."""
    folder.mkdir(parents=True, exist_ok=True)
    shots = iter_catalogue(min(n, unique), seed=7, frames=((4000, 3000), (3000, 4000)), draw_scale=0.25)
    paths: list[Path] = []
    for k in range(n):
        p = folder / f"shot-{k + 1:04d}.jpg"
        if not p.exists():  # kept from an earlier run with --keep
            if k < unique:
                rgb = next(shots).rgb
                cv2.imwrite(str(p), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
            else:
                shutil.copyfile(paths[k % unique], p)
        paths.append(p)
    return paths


def peak_of(cmd: list[str]) -> tuple[float, float, int]:
    """(peak RSS MB, seconds, exit status) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(proc.stderr.read().decode() if proc.stderr else "", file=sys.stderr)
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, proc.returncode


def run_memory(n: int, jobs: int, work: Path, prompt: str) -> None:
    """Peak RSS of `retouch batch --consistent` on a tiny image (Python and the libraries), then on
    1, n/10 and n 12-MP JPEGs."""
    exe = str(Path(sys.executable).with_name("retouch"))
    paths = write_big_set(n, work / "big")
    tiny = work / "tiny.png"
    cv2.imwrite(str(tiny), np.full((64, 64, 3), 200, np.uint8))
    decoded = 4000 * 3000 * 3 / 2**20
    said = f' -p "{prompt}"' if prompt else ""
    print(f"\nmemory: retouch batch --consistent{said} -j {jobs}, 12 MP JPEGs (decoded {decoded:.0f} MB each)")
    print(f"  {'images':>6} {'peak MB':>8} {'- base':>7} {'÷ image':>8} {'seconds':>8} {'s/image':>8}")
    base = 0.0
    for label, inputs in [("tiny", [tiny]), *[(str(c), paths[:c]) for c in sorted({1, max(1, n // 10), n})]]:
        out = work / f"out-{label}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [exe, "batch", *map(str, inputs), "--consistent", "--out-dir", str(out), "-j", str(jobs),
               "--output-format", "jpeg", *(["-p", prompt] if prompt else [])]
        peak, seconds, rc = peak_of(cmd)
        if label == "tiny":
            base = peak
            print(f"  {'64 px':>6} {peak:8.0f} {'':>7} {'':>8} {seconds:8.1f}   (Python, NumPy, OpenCV, mediapipe)")
            continue
        count = len(inputs)
        print(f"  {count:6d} {peak:8.0f} {peak - base:7.0f} {(peak - base) / decoded:8.1f} {seconds:8.1f} "
              f"{seconds / count:8.2f}" + ("" if rc == 0 else f"  (exit {rc})"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=24, help="images per set (default 24)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="keep inputs, outputs and contact sheets here")
    ap.add_argument("--memory", type=int, metavar="N", help="measure peak memory on N 12-MP JPEGs instead")
    ap.add_argument("--prompt", default="", help="with --memory: an instruction besides --consistent")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="retouch-consistency-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.memory:
            run_memory(args.memory, args.jobs, work, args.prompt)
            return
        prompt = "make them consistent"
        run_set("catalogue", catalogue(args.n, seed=2, mixed=False), prompt, args.jobs, work)
        run_set("mixed", catalogue(args.n, seed=1, mixed=True), prompt, args.jobs, work,
                info=("mean luminance", "gray-world chroma"), why="set by each product's colour")
        run_set("photos", photo_set(max(6, args.n // 2), seed=3), prompt, args.jobs, work,
                info=("subject centre (seg)", "subject size (seg)"), why="not varied; photos keep their composition")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
