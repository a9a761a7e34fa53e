"""Benchmark: dehaze on photos hazed synthetically with the atmospheric model, where the clear photo is known.

Each eval photo J becomes I = J·t + A·(1 - t) with t = exp(-β·depth), the depth a ramp from the
bottom (near) to the top (far), at two haze densities. Columns: PSNR of the result against the
clear photo (dB, higher is better; "hazy" is the input's), mean dark channel (15 px patches;
near 0 for clear outdoor photos), and ms per megapixel. Compared, where installed, with the
`image_dehazer` package from PyPI (Meng et al. 2013, boundary constraint + contextual
regularisation), which is not a dependency:

    .venv/bin/python bench/bench_dehaze.py
    pip download image_dehazer --no-deps; PYTHONPATH=<unpacked> .venv/bin/python bench/bench_dehaze.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from retouch.imaging.convert import to_float, to_uint8  # noqa: E402
from retouch.ops.haze import dark_channel, dehaze  # noqa: E402
from retouch.ops.registry import Frame, OpContext  # noqa: E402

PHOTOS = sorted((ROOT.parent / "shared" / "eval" / "photos").glob("*.png"))
AIRLIGHT = np.array([0.85, 0.87, 0.9], np.float32)
DENSITIES = {"light": 0.8, "dense": 1.6}


def hazed(clear: np.ndarray, beta: float) -> np.ndarray:
    """The clear photo seen through haze, far at the top."""
    h, w = clear.shape[:2]
    depth = np.linspace(1.0, 0.3, h, dtype=np.float32)[:, None, None] * np.ones((1, w, 1), np.float32)
    t = np.exp(-beta * depth)
    return (clear * t + AIRLIGHT * (1 - t)).astype(np.float32)


def ours(amount: float) -> Callable[[np.ndarray], np.ndarray]:
    def run(img: np.ndarray) -> np.ndarray:
        return dehaze(img, OpContext(Frame(0, img.shape[0], img.shape[1])), amount=amount)

    return run


def meng() -> Callable[[np.ndarray], np.ndarray] | None:
    """image_dehazer's remove_haze on uint8 BGR, or None when the package is not installed."""
    try:
        import image_dehazer
    except ImportError:
        return None

    def run(img: np.ndarray) -> np.ndarray:
        bgr = cv2.cvtColor(to_uint8(img), cv2.COLOR_RGB2BGR)
        out = image_dehazer.remove_haze(bgr, showHazeTransmissionMap=False)
        out = out[0] if isinstance(out, tuple) else out
        return to_float(cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_BGR2RGB))

    return run


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / max(float(np.mean((a - b) ** 2)), 1e-12)))


def main() -> int:
    methods: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
        "hazy input": lambda img: img,
        "retouch dehaze 0.5 (default)": ours(0.5),
        "retouch dehaze 1.0": ours(1.0),
        "image_dehazer (Meng 2013)": meng(),
    }
    clear = [to_float(np.asarray(Image.open(p).convert("RGB"))) for p in PHOTOS]
    print(f"{len(clear)} photos; PSNR vs the clear photo in dB (mean over photos), mean dark channel\n")
    head = f"{'method':30} " + " ".join(f"{d + ' PSNR':>11} {'dark':>5}" for d in DENSITIES) + f" {'ms/MP':>7}"
    print(head)
    print("-" * len(head))
    for name, fn in methods.items():
        if fn is None:
            print(f"{name:30} not installed")
            continue
        cells, secs, pixels = [], 0.0, 0
        for beta in DENSITIES.values():
            scores, darks = [], []
            for j in clear:
                i = hazed(j, beta)
                t0 = time.perf_counter()
                out = fn(i)
                secs += time.perf_counter() - t0
                pixels += i.shape[0] * i.shape[1]
                scores.append(psnr(out, j))
                darks.append(float(dark_channel(out, 7).mean()))
            cells.append(f"{np.mean(scores):11.2f} {np.mean(darks):5.2f}")
        print(f"{name:30} " + " ".join(cells) + f" {secs * 1000 / (pixels / 1e6):7.0f}")
    clear_dark = np.mean([dark_channel(j, 7).mean() for j in clear])
    print(f"\nthe clear photos' mean dark channel: {clear_dark:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
