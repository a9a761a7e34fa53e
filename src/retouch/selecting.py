"""`retouch.select(...)`: a click or a box on an image -> a mask of the object there."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from .editing import ImageLike, image_bytes
from .errors import OptionError
from .schema import resolved_quality

if TYPE_CHECKING:  # NumPy loads when a selection runs, not when `import retouch` lists the names
    import numpy as np

QUALITIES = ("low", "medium", "high", "auto")


def select(
    image: ImageLike,
    *,
    point: Sequence[float] | None = None,
    box: Sequence[float] | None = None,
    quality: str = "auto",
) -> np.ndarray:
    """Bool HxW mask of the object under `point` (x, y) or inside `box` (x0, y0, x1, y1), in pixels.

    The image is read as edits read it (EXIF orientation applied), so the mask fits it as
    an edit mask: `retouch.edit(img, "remove this", mask=mask_png(retouch.select(img, point=(x, y))))`.

    >>> mask = retouch.select("photo.jpg", point=(320, 240))
    """
    from .imaging import decode_image
    from .vision.select import select as run

    if quality not in QUALITIES:
        raise OptionError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}", param="quality")
    rgb = decode_image(image_bytes(image))
    p = None if point is None else (point[0], point[1]) if len(point) == 2 else _bad("point", 2)
    b = None if box is None else tuple(box) if len(box) == 4 else _bad("box", 4)
    return run(rgb, point=p, box=b, quality=resolved_quality(quality))  # type: ignore[arg-type]


def mask_png(mask: np.ndarray) -> bytes:
    """A selection as a mask file for edits: grayscale PNG, white = selected (the area to edit)."""
    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), "L").save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _bad(param: str, n: int) -> NoReturn:
    raise OptionError(f"{param} must have {n} numbers", param=param)
