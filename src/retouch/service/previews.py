"""Partial images for streaming when an engine has no intermediate images of its own.

The builtin engine computes the final image in one go; to honour `partial_images` it
streams progressively sharper renders of the result (1/8, 1/4, 1/2 resolution, scaled
back up) before the final image, as OpenAI's partial images refine towards the result.
"""

from __future__ import annotations

import cv2
import numpy as np

_EXT = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def progressive_previews(data: bytes, output_format: str, count: int) -> list[bytes]:
    if count <= 0:
        return []
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return []
    h, w = img.shape[:2]
    params = [cv2.IMWRITE_PNG_COMPRESSION, 1] if output_format == "png" else []
    out = []
    for i in range(count):
        factor = 2 ** (count - i + 1)  # count=3: 1/16, 1/8, 1/4 ... always coarser than the final
        small = cv2.resize(img, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
        big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        ok, buf = cv2.imencode(_EXT[output_format], big, params)
        if ok:
            out.append(buf.tobytes())
    return out
