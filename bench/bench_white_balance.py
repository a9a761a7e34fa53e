"""Benchmark: automatic white balance, retouch's estimators against OpenCV xphoto's, same inputs.

Each photo (the eval photos and the test astronaut) is given known colour casts (diagonal gains
in linear light, as a wrong camera white balance gives), then balanced by every method.
Columns, in degrees of angular error in linear RGB (lower is better):

- `recover`: the balanced cast image against the original photo: the angle between the
  per-channel ratio of their mean linear colours and neutral. It rewards bringing every
  cast back to the photographer's balance (the originals are well balanced photos).
- `stable`: the balanced cast image against the same method's balance of the original,
  i.e. how much the answer depends on the cast (0 for an exactly cast-invariant method).
- `ms/MP` the time per megapixel on a 1024 px wide copy.

    .venv/bin/python bench/bench_white_balance.py

xphoto (`cv2.xphoto`) is in opencv-contrib only; its rows are skipped where it is missing.
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
from retouch.ops.balance import apply_gains, correction_gains, to_linear  # noqa: E402

PHOTOS = [
    ROOT.parent / "shared" / "eval" / "photos" / "chelsea.png",
    ROOT.parent / "shared" / "eval" / "photos" / "coffee.png",
    ROOT.parent / "shared" / "eval" / "photos" / "motorcycle_left.png",
    ROOT / "tests" / "data" / "astronaut_256.jpg",
]
#: Linear-light gains of the casts (R, G, B).
CASTS = {
    "none": (1.0, 1.0, 1.0),
    "tungsten": (1.35, 1.0, 0.6),
    "shade": (0.8, 1.0, 1.3),
    "fluorescent": (0.85, 1.15, 0.9),
    "magenta": (1.15, 0.85, 1.1),
    "red": (1.3, 0.92, 0.92),
}


def to_srgb(lin: np.ndarray) -> np.ndarray:
    """Linear light → sRGB codes, clipped."""
    c = np.clip(lin, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055).astype(np.float32)


def ours(method: str) -> Callable[[np.ndarray], np.ndarray]:
    """retouch's balance with one estimator (the op uses gray edge)."""

    def run(img: np.ndarray) -> np.ndarray:
        return apply_gains(img, correction_gains(img, method=method))

    return run


def xphoto(kind: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """An OpenCV xphoto white balancer on uint8 BGR, or None without opencv-contrib."""
    xp = getattr(cv2, "xphoto", None)
    if xp is None:
        return None
    wb = {"simple": xp.createSimpleWB, "grayworld": xp.createGrayworldWB,
          "learning": xp.createLearningBasedWB}[kind]()

    def run(img: np.ndarray) -> np.ndarray:
        bgr = cv2.cvtColor(to_uint8(img), cv2.COLOR_RGB2BGR)
        return to_float(cv2.cvtColor(wb.balanceWhite(bgr), cv2.COLOR_BGR2RGB))

    return run


def angle(ratio: np.ndarray) -> float:
    """Degrees between a colour ratio and neutral."""
    r = ratio / np.linalg.norm(ratio)
    return float(np.degrees(np.arccos(np.clip(r.sum() / np.sqrt(3.0), -1.0, 1.0))))


def mean_lin(img: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return to_linear(img)[valid].mean(axis=0)


def main() -> int:
    methods: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
        "retouch gray edge p=6 (op)": ours("gray_edge"),
        "retouch shades of gray p=6": ours("shades_of_gray"),
        "retouch gray world": ours("gray_world"),
        "retouch white patch": ours("white_patch"),
        "xphoto SimpleWB": xphoto("simple"),
        "xphoto GrayworldWB": xphoto("grayworld"),
        "xphoto LearningBasedWB": xphoto("learning"),
    }
    photos = [to_float(np.asarray(Image.open(p).convert("RGB"))) for p in PHOTOS if p.is_file()]
    print(f"{len(photos)} photos x {len(CASTS)} casts; angular errors in degrees (median / max)\n")
    head = f"{'method':28} {'recover':>15} {'stable':>15} {'ms/MP':>7}"
    print(head)
    print("-" * len(head))
    big = cv2.resize(photos[0], (1024, round(1024 * photos[0].shape[0] / photos[0].shape[1])))
    for name, fn in methods.items():
        if fn is None:
            print(f"{name:28} not available (needs opencv-contrib)")
            continue
        recover, stable = [], []
        for img in photos:
            lin = to_linear(img)
            valid = (img.max(axis=2) < 0.97) & (img.max(axis=2) > 0.04)
            base = fn(img)
            for gains in CASTS.values():
                cast = to_srgb(lin * np.asarray(gains, np.float32))
                out = fn(cast)
                recover.append(angle(mean_lin(out, valid) / mean_lin(img, valid)))
                stable.append(angle(mean_lin(out, valid) / mean_lin(base, valid)))
        t0 = time.perf_counter()
        for _ in range(3):
            fn(big)
        ms = (time.perf_counter() - t0) / 3 * 1000 / (big.shape[0] * big.shape[1] / 1e6)
        print(f"{name:28} {np.median(recover):7.2f} / {max(recover):5.2f} "
              f"{np.median(stable):7.2f} / {max(stable):5.2f} {ms:7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
