"""Face detection (mediapipe when installed, OpenCV's Haar cascade otherwise) and soft face weights."""

from __future__ import annotations

import threading
from typing import NamedTuple

import cv2
import numpy as np

from . import people
from .matte import downscale


class Box(NamedTuple):
    """A face box in FRACTIONS of the image width/height (resolution independent), with a score."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def pixels(self, w: int, h: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in pixels of a WxH image, clipped to it."""
        return (
            max(0, round(self.x0 * w)),
            max(0, round(self.y0 * h)),
            min(w, round(self.x1 * w)),
            min(h, round(self.y1 * h)),
        )


DETECT_SIDE = 640  # faces are found on a copy at most this large (speed; tiny faces are not edited)


def detect_faces(rgb: np.ndarray, *, min_score: float = 0.5) -> list[Box]:
    """Faces in a uint8 RGB(A) image as `Box`es in fractions of width/height, largest first."""
    small = np.ascontiguousarray(downscale(np.ascontiguousarray(rgb[..., :3]), DETECT_SIDE))
    boxes = _mediapipe_faces(small, min_score)
    if boxes is None:
        boxes = haar_faces(small)
    return sorted(boxes, key=lambda b: -(b.width * b.height))


def face_weight(rgb: np.ndarray, faces: list[Box] | None = None) -> np.ndarray:
    """Soft elliptical weight (float32 HxW in [0, 1]) covering each face, forehead and chin included."""
    h, w = rgb.shape[:2]
    faces = detect_faces(rgb) if faces is None else faces
    out = np.zeros((h, w), np.float32)
    if not faces:
        return out
    for f in faces:
        bw, bh = f.width * w, f.height * h
        # detector boxes stop at the brows and mouth: widen a little, extend up to the hairline
        cx, cy = (f.x0 + f.x1) / 2 * w, (f.y0 + f.y1) / 2 * h - 0.08 * bh
        rx, ry = 0.62 * bw, 0.78 * bh
        x0, x1 = max(0, int(cx - 1.3 * rx)), min(w, int(cx + 1.3 * rx) + 1)
        y0, y1 = max(0, int(cy - 1.3 * ry)), min(h, int(cy + 1.3 * ry) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
        t = np.clip((1.2 - d) / 0.4, 0, 1)  # 1 inside 0.8 of the ellipse, 0 beyond 1.2
        wgt = t * t * (3 - 2 * t)
        np.maximum(out[y0:y1, x0:x1], wgt, out=out[y0:y1, x0:x1])
    return out


# --------------------------------------------------------------------------- back ends

_mp_lock = threading.Lock()
_mp_detectors: dict[int, object] = {}


def _mediapipe_faces(rgb: np.ndarray, min_score: float) -> list[Box] | None:
    """Faces from mediapipe's bundled BlazeFace models, or None when mediapipe is not installed."""
    mp = people.mediapipe()
    if mp is None:
        return None
    found: list[Box] = []
    # short-range model first (faces within ~2 m: portraits, selfies), full-range for group shots
    for model in (0, 1):
        with _mp_lock:
            det = _mp_detectors.get(model)
            if det is None:
                with people.quiet_stderr():
                    det = mp.solutions.face_detection.FaceDetection(
                        model_selection=model, min_detection_confidence=min(min_score, 0.5)
                    )
                    det.process(np.zeros((64, 64, 3), np.uint8))
                _mp_detectors[model] = det
            res = det.process(rgb)
        for d in res.detections or []:
            score = float(d.score[0]) if d.score else 0.0
            bb = d.location_data.relative_bounding_box
            box = Box(
                max(0.0, bb.xmin),
                max(0.0, bb.ymin),
                min(1.0, bb.xmin + bb.width),
                min(1.0, bb.ymin + bb.height),
                score,
            )
            if score >= min_score and box.width > 0 and box.height > 0 and not _overlaps(box, found):
                found.append(box)
        if found:
            break
    return found


def _overlaps(b: Box, boxes: list[Box]) -> bool:
    """Whether `b` overlaps any of `boxes` by more than a third (IoU)."""
    for o in boxes:
        ix = max(0.0, min(b.x1, o.x1) - max(b.x0, o.x0))
        iy = max(0.0, min(b.y1, o.y1) - max(b.y0, o.y0))
        inter = ix * iy
        if inter / max(b.width * b.height + o.width * o.height - inter, 1e-9) > 0.33:
            return True
    return False


_haar: cv2.CascadeClassifier | None = None


def haar_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces with OpenCV's Haar cascade (ships with opencv-python 4.x), in fractions."""
    global _haar
    if _haar is None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        c = cv2.CascadeClassifier(path)
        if c.empty():
            return []
        _haar = c
    h, w = rgb.shape[:2]
    small = downscale(rgb, 400)  # the cascade's cost grows fast with size; faces stay ≥ 24 px
    s = small.shape[1] / w
    g = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    min_side = max(20, round(0.06 * min(small.shape[:2])))
    found = _haar.detectMultiScale(g, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side))
    boxes: list[Box] = []
    for x, y, bw, bh in np.asarray(found).reshape(-1, 4):
        # Haar boxes include more forehead than BlazeFace's: trim to the same convention
        b = Box(x / s / w, (y + 0.1 * bh) / s / h, (x + bw) / s / w, (y + bh) / s / h, 0.8)
        if not _overlaps(b, boxes):
            boxes.append(b)
    return boxes
