"""People: mediapipe's bundled selfie-segmentation model, imported lazily (optional dependency).

mediapipe is an extra (`retouch[people]`); without it every function here degrades
gracefully (`person_mask` returns None) and callers fall back to classical methods.
Set RETOUCH_NO_MEDIAPIPE=1 to disable it even when installed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

import cv2
import numpy as np

from .matte import downscale

SEG_SIDE = 512  # the model itself runs at 256x256; larger inputs only cost resizing


def mediapipe() -> ModuleType | None:
    """The mediapipe module, or None when it is not installed or disabled."""
    if os.environ.get("RETOUCH_NO_MEDIAPIPE", "") not in ("", "0"):
        return None
    if "mediapipe" not in sys.modules:
        # its C++ logging is chatty on import; keep the CLI's stderr clean
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        mp = importlib.import_module("mediapipe")
        _ = mp.solutions  # the legacy solutions API carries the bundled .tflite models
    except (ImportError, AttributeError):
        return None
    return mp


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence native (fd 2) output while mediapipe builds a graph (TFLite prints INFO lines)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


_lock = threading.Lock()
_segmenter: object | None = None


def person_mask(rgb: np.ndarray) -> np.ndarray | None:
    """Soft person mask (float32 HxW in [0, 1]) for uint8 RGB, or None without mediapipe."""
    global _segmenter
    mp = mediapipe()
    if mp is None:
        return None
    h, w = rgb.shape[:2]
    small = np.ascontiguousarray(downscale(np.ascontiguousarray(rgb[..., :3]), SEG_SIDE))
    with _lock:
        if _segmenter is None:
            with quiet_stderr():
                seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
                seg.process(np.zeros((64, 64, 3), np.uint8))
            _segmenter = seg
        res = _segmenter.process(small)
    m = getattr(res, "segmentation_mask", None)
    if m is None:
        return None
    m = np.clip(np.asarray(m, np.float32), 0, 1)
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return m


def skin_fraction(rgb: np.ndarray) -> float:
    """Fraction of pixels in a broad skin-tone range (YCrCb box): a cheap 'could there be a face' gate."""
    ycc = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2YCrCb)
    y, cr, cb = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    skin = (y > 40) & (cr >= 135) & (cr <= 175) & (cb >= 80) & (cb <= 130)
    return float(skin.mean())


def has_face(rgb: np.ndarray, *, cheap: bool = False) -> bool:
    """Whether the image shows at least one face; `cheap` first requires some skin-toned pixels."""
    from .faces import detect_faces

    tiny = downscale(rgb, 160)
    hsv = cv2.cvtColor(np.ascontiguousarray(tiny[..., :3]), cv2.COLOR_RGB2HSV)
    monochrome = float(np.quantile(hsv[..., 1], 0.9)) < 20  # black-and-white photos have no skin tones
    if not monochrome and skin_fraction(tiny) < (0.01 if cheap else 0.003):
        return False
    return bool(detect_faces(rgb))
