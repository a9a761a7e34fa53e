"""What the generative engines (openai, diffusers) share around the model call.

A generative model returns an image of its own size and re-renders every pixel. These
helpers turn that into retouch's semantics: the output is fitted back to the input's
geometry, pixels outside a mask are copied back bit for bit (with a short feather
*inside* the mask so the seam does not show), the requested size and format are applied
last, and the plan says which engine and model ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import OptionError
from ..schema import EditPlan, EditRequest, PlanStep
from .base import EditCancelled, EditOptions, ProgressFn

#: Feather width inside the mask, as a fraction of the image diagonal (about 6 px at 1024²).
FEATHER_FRACTION = 0.004
#: The op name generative steps carry in plans (not a builtin op).
GENERATE_OP = "generate"


@dataclass
class Inputs:
    """Decoded request inputs: the first image (edited), references, the mask (1 = edit), target size."""

    images: list[np.ndarray]
    mask: np.ndarray | None
    target: tuple[int, int]  # (width, height) of the final output

    @property
    def first(self) -> np.ndarray:
        return self.images[0]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the first image."""
        return self.first.shape[1], self.first.shape[0]


def decode_inputs(request: EditRequest) -> Inputs:
    """Decode images (EXIF applied) and the mask, and resolve `size` (auto = the first image's size)."""
    from ..imaging import decode_image, load_mask, parse_size

    images = [decode_image(data, what=f"image {i + 1}") for i, data in enumerate(request.images)]
    first = images[0]
    mask = load_mask(request.mask, (first.shape[1], first.shape[0])) if request.mask is not None else None
    target = parse_size(request.size) or (first.shape[1], first.shape[0])
    return Inputs(images=images, mask=mask, target=target)


def check_common(request: EditRequest, *, transparency: bool, engine: str) -> None:
    """Refuse option combinations before anything expensive (or billed) happens."""
    if request.background == "transparent" and request.output_format == "jpeg":
        raise OptionError(
            "background=transparent needs output format png or webp (jpeg has no alpha)", param="background"
        )
    if request.background == "transparent" and not transparency:
        raise OptionError(
            f"the {engine} engine cannot make transparent backgrounds; use the builtin engine "
            '("remove the background") or model=auto',
            param="background",
        )


def generative_plan(prompt: str, engine: str, model: str, **params: object) -> EditPlan:
    """The plan of a generative edit: one step that names the engine and model."""
    return EditPlan(
        prompt=prompt,
        steps=[PlanStep(op=GENERATE_OP, params={"engine": engine, "model": model, **params}, text=prompt)],
    )


def snap_size(width: int, height: int, *, pixels: int, multiple: int) -> tuple[int, int]:
    """The size with width×height's aspect and about `pixels` pixels, sides multiples of `multiple`."""
    aspect = width / height
    w = math.sqrt(pixels * aspect)
    h = w / aspect
    return (max(multiple, round(w / multiple) * multiple), max(multiple, round(h / multiple) * multiple))


def resize(arr: np.ndarray, size: tuple[int, int], quality: str = "medium") -> np.ndarray:
    """Resize to (width, height) with retouch's resampler (RGBA premultiplied)."""
    from ..imaging import resample

    if (arr.shape[1], arr.shape[0]) == tuple(size):
        return arr
    return resample(arr, size[0], size[1], quality)


def fit_back(out: np.ndarray, size: tuple[int, int], quality: str) -> np.ndarray:
    """Fit a model's output to (width, height): a resize if the aspect matches, else a cover-crop."""
    w, h = size
    if (out.shape[1], out.shape[0]) == (w, h):
        return out
    if abs(out.shape[1] / out.shape[0] - w / h) < 0.01:
        return resize(out, size, quality)
    from ..imaging import fit_to_size

    return fit_to_size(out, w, h, quality=quality)


def match_channels(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Give `out` the channel count of `like` (adding an opaque alpha or dropping it)."""
    if out.shape[2] == like.shape[2]:
        return out
    if like.shape[2] == 4:
        return np.concatenate([out, np.full((*out.shape[:2], 1), 255, np.uint8)], axis=2)
    return out[..., :3]


def feather_weight(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """The blend weight: the mask, ramped down to 0 over `feather_px` toward its edge, and 0 outside it."""
    inside = mask > 0
    weight = mask.astype(np.float32, copy=True)
    if feather_px > 0 and inside.any():
        # distance (px) from each inside pixel to the nearest outside one: 1 on the border
        dist = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3)
        np.minimum(weight, dist / np.float32(feather_px), out=weight)
    weight[~inside] = 0
    return weight


def composite_masked(out: np.ndarray, original: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Model output inside the mask, the original outside it, bit for bit (same size arrays)."""
    out = match_channels(out, original)
    h, w = original.shape[:2]
    weight = feather_weight(mask, FEATHER_FRACTION * math.hypot(w, h))
    a = original.astype(np.float32)
    blended = a + (out.astype(np.float32) - a) * weight[..., None]
    result = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    keep = weight <= 0
    result[keep] = original[keep]  # exact, whatever the float arithmetic did
    return result


def postprocess(out: np.ndarray, inputs: Inputs, quality: str) -> np.ndarray:
    """Model output → the input's geometry → mask composite → the requested size."""
    out = fit_back(out, inputs.size, quality)
    if inputs.mask is not None:
        out = composite_masked(out, inputs.first, inputs.mask)
    if inputs.target != inputs.size:
        out = fit_back(out, inputs.target, quality)
    return out


def apply_background(out: np.ndarray, background: str) -> np.ndarray:
    """`opaque`: flatten any alpha onto white (the other values are the model's business)."""
    if background == "opaque" and out.shape[2] == 4:
        from .builtin import flatten_alpha

        return flatten_alpha(out)
    return out


def png_bytes(arr: np.ndarray, level: int = 1) -> bytes:
    """Lossless PNG for uploads, intermediates and previews (OpenCV: fast at low levels)."""
    bgr = cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA if arr.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, level])
    if not ok:  # pragma: no cover - OpenCV only fails on invalid arrays
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def jpeg_bytes(arr: np.ndarray, quality: int = 95) -> bytes:
    """JPEG for opaque reference uploads (a photo's PNG is 5-10× larger)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr[..., :3], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def decode_model_image(data: bytes) -> np.ndarray:
    """Decode an image a model returned (PNG/JPEG/WebP) to uint8 RGB or RGBA."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("the model returned an image that cannot be decoded")
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.dtype != np.uint8:
        arr = (arr / 257).astype(np.uint8)
    return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def report(progress: ProgressFn | None, fraction: float, stage: str, partial: bytes | None = None) -> None:
    """Call the progress callback if there is one (its exceptions propagate: that is how callers cancel)."""
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), stage, partial)


def check_cancel(options: EditOptions | None) -> None:
    """Raise EditCancelled if the caller set the cancel event."""
    if options is not None and options.cancel is not None and options.cancel.is_set():
        raise EditCancelled("the edit was canceled")


def wanted_model(request: EditRequest, own: str, engine_names: tuple[str, ...]) -> str | None:
    """The model the request names for this engine, or None to use the engine's default.

    The service puts the canonical model name (or an engine name such as "openai" or
    "auto") in `request.model`; only a real model name overrides the engine's default.
    """
    m = (request.model or "").strip()
    if not m or m.lower() in engine_names or m.lower() == own:
        return None
    return m
