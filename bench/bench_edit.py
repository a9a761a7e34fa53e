"""Benchmark: a 3-step edit (contrast +30%, saturation +30%, vignette), PNG file to PNG file.

retouch (`retouch.edit(...)`) against the same edit written plainly with Pillow (ImageEnhance +
a NumPy float vignette + the default PNG save), on a 1024x1024 and a 4096x4096 photo-like image.

Every measured run is its own subprocess: it imports everything, warms up on a tiny image (so
lazy initialisation is not timed), resets the peak-RSS counter, then times one edit and reports
the peak resident memory it added (VmHWM after minus RSS before; OpenCV's and NumPy's buffers
are counted, unlike with tracemalloc). Each measurement is repeated (default 3) and the best is
kept. `--io` instead times the codecs alone: decode and encode, OpenCV vs Pillow vs retouch.

    .venv/bin/python bench/bench_edit.py                 # the edit table (needs retouch.edit)
    .venv/bin/python bench/bench_edit.py --sizes 1024    # quick run
    .venv/bin/python bench/bench_edit.py --io            # codec timings
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "increase contrast by 30%, boost saturation by 30% and add a vignette"
PHOTO = ROOT.parent / "shared" / "eval" / "photos" / "chelsea.png"
TARGET_RATIO = 0.35
TARGET_MEMORY = 6.0


# --------------------------------------------------------------------------- the two pipelines


def edit_pillow(src: Path, dst: Path) -> None:
    """The edit written plainly with Pillow and NumPy, as most scripts would."""
    from PIL import Image, ImageEnhance

    im = Image.open(src).convert("RGB")
    im = ImageEnhance.Contrast(im).enhance(1.3)
    im = ImageEnhance.Color(im).enhance(1.3)
    a = np.asarray(im, dtype=np.float32)
    h, w = a.shape[:2]
    y, x = np.ogrid[:h, :w]
    r2 = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    a = a * (1.0 - 0.3 * np.clip(r2 / 2.0, 0.0, 1.0))[..., None]
    Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8)).save(dst)


def edit_retouch(src: Path, dst: Path) -> None:
    """The edit through retouch's Python API."""
    import retouch

    retouch.edit(images=[str(src)], prompt=PROMPT, output=str(dst))


PIPELINES = {"pillow": edit_pillow, "retouch": edit_retouch}


# --------------------------------------------------------------------------- child process: one run


def _status_kb(field: str) -> int:
    """A memory field of /proc/self/status in KiB (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); harmless elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def child(pipeline: str, src: Path, dst: Path, warm: Path) -> dict[str, float]:
    """Warm up, then time one edit and measure the peak memory it added."""
    fn = PIPELINES[pipeline]
    fn(warm, warm.with_name(f"warm-{pipeline}-out.png"))
    _reset_peak()
    base = _status_kb("VmRSS")
    t0 = time.perf_counter()
    fn(src, dst)
    seconds = time.perf_counter() - t0
    return {"ms": seconds * 1000, "peak_mb": max(0, _status_kb("VmHWM") - base) / 1024}


# --------------------------------------------------------------------------- parent: inputs and table


def make_photo(size: int, path: Path) -> None:
    """A deterministic photo-like input: the eval photo (or a synthetic scene) upscaled, plus sensor grain.

    Upscaling alone gives unrealistically smooth pixels that compress (and so encode) far faster
    than a real photo; grain of about 2 levels restores a camera-like entropy.
    """
    import cv2
    from PIL import Image

    if PHOTO.is_file():
        base = np.asarray(Image.open(PHOTO).convert("RGB"))
    else:
        y, x = np.mgrid[0:300, 0:450].astype(np.float32)
        planes = [128 + 100 * np.sin(x / 40), 128 + 90 * np.cos(y / 33), 128 + 60 * np.sin((x + y) / 57)]
        base = np.dstack(planes).astype(np.uint8)
    h, w = base.shape[:2]
    side = min(h, w)
    base = base[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2]
    img = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += np.random.default_rng(size).normal(0, 2.0, img.shape).round().astype(np.int16)
    cv2.imwrite(str(path), cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))


def _child_env() -> dict[str, str]:
    """The environment for children: the repository's src/ importable even when not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    return env


def measure(pipeline: str, src: Path, dst: Path, warm: Path, repeat: int) -> dict[str, float] | str:
    """Best time and smallest peak over `repeat` child runs, or the error text of a failed run."""
    runs = []
    for _ in range(repeat):
        cmd = [sys.executable, __file__, "--child", pipeline, str(src), str(dst), str(warm)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(), check=False)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            return lines[-1] if lines else f"exit {proc.returncode}"
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"ms": min(r["ms"] for r in runs), "peak_mb": min(r["peak_mb"] for r in runs)}


def _load_rgb(path: Path) -> np.ndarray:
    """Decoded RGB of an output (for the sanity columns)."""
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def run_edit_bench(sizes: list[int], repeat: int, keep: Path | None) -> list[dict[str, object]]:
    """Measure both pipelines at every size; print the table; return the rows."""
    work = keep or Path(tempfile.mkdtemp(prefix="retouch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    warm = work / "warm.png"
    make_photo(64, warm)
    rows: list[dict[str, object]] = []
    for size in sizes:
        src = work / f"photo-{size}.png"
        make_photo(size, src)
        decoded_mb = size * size * 3 / 2**20
        results = {}
        for name in PIPELINES:
            results[name] = measure(name, src, work / f"out-{name}-{size}.png", warm, repeat)
        for name, r in results.items():
            row: dict[str, object] = {"size": size, "pipeline": name, "decoded_mb": round(decoded_mb, 1)}
            if isinstance(r, str):
                row["error"] = r
            else:
                out = work / f"out-{name}-{size}.png"
                row.update(
                    ms=round(r["ms"], 1),
                    ms_per_mp=round(r["ms"] / (size * size / 1e6), 1),
                    peak_mb=round(r["peak_mb"], 1),
                    peak_x=round(r["peak_mb"] / decoded_mb, 2),
                    out_mb=round(out.stat().st_size / 2**20, 2),
                    changed=round(float(np.abs(_load_rgb(out).astype(np.int16) - _load_rgb(src)).mean()), 1),
                )
            rows.append(row)
        pil, ret = results["pillow"], results["retouch"]
        if not isinstance(pil, str) and not isinstance(ret, str):
            rows[-1]["ratio"] = round(ret["ms"] / pil["ms"], 3)
            a, b = _load_rgb(work / f"out-retouch-{size}.png"), _load_rgb(work / f"out-pillow-{size}.png")
            rows[-1]["vs_pillow"] = round(float(np.abs(a.astype(np.int16) - b).mean()), 1)
    print_table(rows)
    if keep is None:
        for p in work.iterdir():
            p.unlink()
        work.rmdir()
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    """The results as a fixed-width table, with the targets."""
    head = f"{'size':>9}  {'pipeline':8}  {'ms':>8}  {'ms/MP':>6}  {'ratio':>6}  {'peak MB':>8}  " \
           f"{'peak/img':>8}  {'out MB':>6}  {'Δin':>5}  {'Δpil':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        size = f"{r['size']}²"
        if "error" in r:
            print(f"{size:>9}  {r['pipeline']:8}  not measured: {r['error']}")
            continue
        ratio = f"{r['ratio']:.3f}" if "ratio" in r else ""
        vs = f"{r['vs_pillow']:.1f}" if "vs_pillow" in r else ""
        print(f"{size:>9}  {r['pipeline']:8}  {r['ms']:8.0f}  {r['ms_per_mp']:6.0f}  {ratio:>6}  "
              f"{r['peak_mb']:8.0f}  {r['peak_x']:7.2f}x  {r['out_mb']:6.1f}  {r['changed']:5.1f}  {vs:>5}")
    print(f"\ntargets: ratio retouch/pillow <= {TARGET_RATIO} at 4096², retouch peak <= {TARGET_MEMORY}x the "
          "decoded image (HxWx3 bytes).\nΔin: mean |output - input| (the edit happened); "
          "Δpil: mean |retouch - pillow| (a similar edit).")


# --------------------------------------------------------------------------- codec timings (--io)


def _best_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Best wall time of `repeat` calls, in ms."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def run_io_bench(sizes: list[int], repeat: int) -> None:
    """Decode and encode timings (and sizes) of OpenCV, Pillow and retouch's choices."""
    import cv2
    from PIL import Image

    sys.path.insert(0, str(ROOT / "src"))
    from retouch.imaging import decode_image, encode_image

    def pil_save(a: np.ndarray, fmt: str, **kw: object) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, fmt, **kw)
        return buf.getvalue()

    def pil_open(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    def cv2_open(data: bytes) -> np.ndarray:
        return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    def cv2_save(a: np.ndarray, ext: str, params: list[int]) -> bytes:
        return cv2.imencode(ext, cv2.cvtColor(a, cv2.COLOR_RGB2BGR), params)[1].tobytes()

    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / "p.png"
            make_photo(size, path)
            a = np.asarray(Image.open(path).convert("RGB"))
            encoders = {
                "png  retouch medium": (encode_image, "png"),
                "png  retouch high": (encode_image, "png", {"quality": "high"}),
                "png  cv2 level 1": (cv2_save, ".png", [cv2.IMWRITE_PNG_COMPRESSION, 1]),
                "png  cv2 defaults": (cv2_save, ".png", []),
                "png  pillow default": (pil_save, "PNG"),
                "png  pillow level 1": (pil_save, "PNG", {"compress_level": 1}),
                "jpeg retouch (cv2) q90": (encode_image, "jpeg"),
                "jpeg pillow q90": (pil_save, "JPEG", {"quality": 90}),
                "webp retouch (pillow m2) q90": (encode_image, "webp"),
                "webp cv2 q90": (cv2_save, ".webp", [cv2.IMWRITE_WEBP_QUALITY, 90]),
                "webp pillow default q90": (pil_save, "WEBP", {"quality": 90}),
            }
            print(f"\n{size}x{size} encode{'':22}    ms     MB")
            files: dict[str, bytes] = {}
            for name, (fn, *rest) in encoders.items():
                args = [r for r in rest if not isinstance(r, dict)]
                kw = next((r for r in rest if isinstance(r, dict)), {})

                def call(fn=fn, a=a, args=args, kw=kw) -> bytes:  # type: ignore[no-untyped-def]
                    return fn(a, *args, **kw)

                data = call()
                files.setdefault(name.split()[0], data)  # the first encoder of each format: retouch's
                print(f"  {name:34} {_best_ms(call, repeat):6.0f} {len(data) / 2**20:6.2f}")
            print(f"{size}x{size} decode{'':22}    ms")
            for fmt, data in files.items():
                decoders = (("retouch", decode_image), ("cv2", cv2_open), ("pillow", pil_open))
                for name, dec in decoders:
                    print(f"  {fmt:4} {name:29} {_best_ms(lambda d=data, f=dec: f(d), repeat):6.0f}")


def main() -> int:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1024,4096", help="comma-separated square sizes (default 1024,4096)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs in this directory")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--io", action="store_true", help="time the codecs instead of the edit")
    ap.add_argument("--child", nargs=4, metavar=("PIPELINE", "SRC", "DST", "WARM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        name, src, dst, warm = args.child
        print(json.dumps(child(name, Path(src), Path(dst), Path(warm))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.io:
        run_io_bench(sizes, args.repeat)
        return 0
    rows = run_edit_bench(sizes, args.repeat, args.keep)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
