"""Framing: where to cut each image so the subject has the same size and place in every output.

Every image gets a *window* of the set's aspect ratio, in its own pixel coordinates, chosen so
that the subject's box fills the same fraction of it (`fill`, in the box's limiting dimension:
max(box width / window width, box height / window height)) with its centre at the same place.
The window may reach past the image; the part inside is cropped, resampled to its share of the
output size, and the rest padded by repeating the edge (a studio backdrop continues cleanly).

The subject is never cut: the window always holds the whole box plus a margin, even when that
makes the subject smaller than the target or moves it off the target position.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import PlanStep
from .stats import Box

#: Space kept between the subject's box and the window's edge (fraction of the window).
MARGIN = 0.03
#: The largest fill the framing aims for: the box plus the margin on both sides.
MAX_FILL = 1.0 - 2 * MARGIN
#: A box this close to the frame's edge (fraction) is a subject the photographer cut there.
TOUCH = 0.005
#: Segmentation methods trusted to align subjects; others ("general") only share aspect and size.
ALIGNED_METHODS = frozenset({"studio", "alpha", "person"})


@dataclass(frozen=True)
class Window:
    """A rectangle in an image's pixel coordinates (it may extend past the image)."""

    x0: float
    y0: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x0 + self.w

    @property
    def y1(self) -> float:
        return self.y0 + self.h


def box_px(box: Box, w: int, h: int) -> Box:
    """A fractional box in pixels."""
    return (box[0] * w, box[1] * h, box[2] * w, box[3] * h)


def natural_window(w: int, h: int, aspect: float, box: Box | None) -> Window:
    """The largest window of `aspect` inside the image, centred on the subject when there is one
    (what "crop to" that aspect would keep)."""
    if w / h > aspect:
        ww, wh = h * aspect, float(h)
    else:
        ww, wh = float(w), w / aspect
    if box is None:
        cx, cy = w / 2, h / 2
    else:
        bx = box_px(box, w, h)
        cx, cy = (bx[0] + bx[2]) / 2, (bx[1] + bx[3]) / 2
    x0 = min(max(cx - ww / 2, 0.0), w - ww)
    y0 = min(max(cy - wh / 2, 0.0), h - wh)
    return Window(x0, y0, ww, wh)


def placement(box: Box, w: int, h: int, win: Window) -> tuple[float, tuple[float, float]]:
    """(fill, centre) of the subject in a window: how much of it the box fills, where its centre is."""
    bx0, by0, bx1, by1 = box_px(box, w, h)
    fill = max((bx1 - bx0) / win.w, (by1 - by0) / win.h)
    centre = (((bx0 + bx1) / 2 - win.x0) / win.w, ((by0 + by1) / 2 - win.y0) / win.h)
    return fill, centre


def subject_window(
    w: int,
    h: int,
    box: Box,
    aspect: float,
    fill: float,
    centre: tuple[float, float],
    *,
    pad: bool = True,
) -> Window:
    """The window of `aspect` in which the subject fills `fill` with its centre at `centre`.

    Never cuts the subject: its box plus MARGIN stays inside. A subject the photographer already
    cut (its box touches the frame, as a portrait's shoulders do) keeps that edge of the frame, so
    padding never continues it. Without `pad` the window stays inside the image as far as the
    subject allows: the subject then ends up larger or off its place.
    """
    bx0, by0, bx1, by1 = box_px(box, w, h)
    bw, bh = bx1 - bx0, by1 - by0
    left, right = bx0 <= TOUCH * w, bx1 >= (1 - TOUCH) * w
    top, bottom = by0 <= TOUCH * h, by1 >= (1 - TOUCH) * h
    if (left and right) and (top and bottom):
        return natural_window(w, h, aspect, box)
    fill = min(max(fill, 1e-3), MAX_FILL)
    wh = max(bw / (aspect * fill), bh / fill)
    # the box and its margins must fit, whatever the target says
    wh = max(wh, bh / MAX_FILL, bw / (aspect * MAX_FILL))
    if left and right:  # cut on both sides: exactly the image's width
        wh = w / aspect
    elif top and bottom:
        wh = float(h)
    ww = wh * aspect
    if not pad:
        inner = natural_window(w, h, aspect, box)
        if ww > inner.w and inner.w >= bw / MAX_FILL and inner.h >= bh / MAX_FILL:
            ww, wh = inner.w, inner.h
    x0 = _place((bx0 + bx1) / 2 - centre[0] * ww, bx0, bx1, ww, w, pad, left, right)
    y0 = _place((by0 + by1) / 2 - centre[1] * wh, by0, by1, wh, h, pad, top, bottom)
    return Window(x0, y0, ww, wh)


def _place(
    start: float, b0: float, b1: float, size: float, full: int, pad: bool, cut0: bool, cut1: bool
) -> float:
    """A window start near `start` keeping [b0, b1] and its margins inside (inside [0, full] without pad);
    a side where the subject is already cut stays on the image's edge."""
    if cut0 and cut1:
        return (full - size) / 2
    if cut0:
        return 0.0
    if cut1:
        return full - size
    m = MARGIN * size
    lo, hi = b1 + m - size, b0 - m  # the starts that keep the box inside with its margins
    if not pad and size <= full:
        lo, hi = max(lo, 0.0), min(hi, full - size)
        if lo > hi:  # cannot have both: the subject wins
            lo, hi = b1 + m - size, b0 - m
    return min(max(start, lo), hi) if lo <= hi else (lo + hi) / 2


def framing_steps(w: int, h: int, win: Window, out: tuple[int, int], text: str) -> list[PlanStep]:
    """crop_box → resize → extend_canvas steps that turn a w x h image into `win` at size `out`."""
    ow, oh = out
    x0, y0, x1, y1 = round(win.x0), round(win.y0), round(win.x1), round(win.y1)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx1 <= cx0 or cy1 <= cy0:  # the window misses the image (cannot happen with a subject in it)
        cx0, cy0, cx1, cy1 = 0, 0, w, h
    sx, sy = ow / (x1 - x0), oh / (y1 - y0)
    # where the cropped part lands in the output
    ox0, ox1 = round((cx0 - x0) * sx), round((cx1 - x0) * sx)
    oy0, oy1 = round((cy0 - y0) * sy), round((cy1 - y0) * sy)
    ox0, oy0 = min(max(ox0, 0), ow - 1), min(max(oy0, 0), oh - 1)
    ox1, oy1 = min(max(ox1, ox0 + 1), ow), min(max(oy1, oy0 + 1), oh)
    steps: list[PlanStep] = []
    if (cx0, cy0, cx1, cy1) != (0, 0, w, h):
        box = [cx0 / w, cy0 / h, cx1 / w, cy1 / h]
        steps.append(PlanStep(op="crop_box", params={"box": [round(v, 6) for v in box]}, text=text))
    if (ox1 - ox0, oy1 - oy0) != (cx1 - cx0, cy1 - cy0):
        steps.append(PlanStep(op="resize", params={"width": ox1 - ox0, "height": oy1 - oy0}, text=text))
    pads = {"top": oy0, "bottom": oh - oy1, "left": ox0, "right": ow - ox1}
    if any(pads.values()):
        steps.append(PlanStep(op="extend_canvas", params={**pads, "color": "edge"}, text=text))
    return steps
