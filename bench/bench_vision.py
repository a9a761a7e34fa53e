"""Vision benchmark with ground truth: object removal, cut-outs and click-to-select.

    .venv/bin/python bench/bench_vision.py                 # everything (a few minutes on 2 cores)
    .venv/bin/python bench/bench_vision.py removal         # fill methods and quality tiers
    .venv/bin/python bench/bench_vision.py cutout select   # subject mattes; a click at each object's centre
    .venv/bin/python bench/bench_vision.py --subset        # only the tests' fixed subset
    .venv/bin/python bench/bench_vision.py --sheets docs/images/vision   # also write the picture sheets
    .venv/bin/python bench/bench_vision.py --json out.json # also write every row

Cases and scores are defined in `vision_cases.py`. Install scikit-image for the full set
(`pip install -e '.[bench]'`); without it the texture/edge/object cases that use its sample
images are left out. Times are wall-clock on this machine, one run each: read them as ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import vision_cases as vc

from retouch.ops.inpaint import remove_object
from retouch.ops.registry import Frame, OpContext

# --------------------------------------------------------------------------- removal

#: (label, method, quality) — a named method, or a tier ("auto" picks the tier's method).
REMOVAL_METHODS = [
    ("telea", "telea", "medium"),
    ("navier-stokes", "ns", "medium"),
    ("PatchMatch (pypatchmatch)", "patchmatch", "medium"),
    ("FSR fast (opencv-contrib)", "fsr_fast", "medium"),
    ("tier low", "auto", "low"),
    ("tier medium", "auto", "medium"),
    ("tier high", "auto", "high"),
]
SLOW_METHODS = [("FSR best (opencv-contrib)", "fsr_best", "medium")]


def run_removal(image: np.ndarray, hole: np.ndarray, method: str, quality: str) -> np.ndarray:
    """The remove_object op as the builtin engine runs it: fill, then restore outside the mask."""
    h, w = hole.shape
    ctx = OpContext(frame=Frame(0, h, w), quality=quality, mask=hole.astype(np.float32))
    out = remove_object(image.astype(np.float32) / 255, ctx, method=method)
    out = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.where(hole[..., None], out, image)


def bench_removal(cases: list[vc.RemovalCase], methods: list[tuple[str, str, str]]) -> list[dict]:
    rows = []
    for label, method, quality in methods:
        for c in cases:
            t = time.perf_counter()
            out = run_removal(c.image, c.hole, method, quality)
            ms = (time.perf_counter() - t) * 1000
            rows.append(
                {
                    "method": label,
                    "case": c.name,
                    "group": c.group,
                    "psnr": vc.psnr_in(out, c.clean, c.hole),
                    "ssim": vc.ssim_in(out, c.clean, c.hole),
                    "lp_psnr": vc.lowpass_psnr_in(out, c.clean, c.hole),
                    "texture": vc.texture_ratio(out, c.hole),
                    "texture_true": vc.texture_ratio(c.clean, c.hole),
                    "ms": ms,
                    "hole_px": int(c.hole.sum()),
                    "_out": out,
                }
            )
    return rows


def removal_table(rows: list[dict]) -> str:
    order = ["flat-over-texture", "texture", "edge", "object"]
    groups = sorted({r["group"] for r in rows}, key=order.index)
    lines = []
    for g in [*groups, "all"]:
        sel = [r for r in rows if g in ("all", r["group"])]
        n = len({r["case"] for r in sel})
        truth = np.mean([r["texture_true"] for r in sel])
        lines.append(f"\n{g} ({n} holes; the clean photos' own texture ratio there: {truth:.2f})")
        lines.append("| method | PSNR dB | SSIM | low-pass PSNR dB | texture | ms per hole |")
        lines.append("|---|---|---|---|---|---|")
        for label in dict.fromkeys(r["method"] for r in sel):
            rs = [r for r in sel if r["method"] == label]
            lines.append(
                f"| {label} | {np.mean([r['psnr'] for r in rs]):.1f} | {np.mean([r['ssim'] for r in rs]):.3f} | "
                f"{np.mean([r['lp_psnr'] for r in rs]):.1f} | {np.mean([r['texture'] for r in rs]):.2f} | "
                f"{np.median([r['ms'] for r in rs]):.0f} |"
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------- cut-outs


def matte_methods() -> list[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """(label, rgb -> alpha) for the subject matte at each quality tier."""
    from retouch.vision import subject

    def tier(q: str) -> Callable[[np.ndarray], np.ndarray]:
        def run(rgb: np.ndarray) -> np.ndarray:
            subject._cache.clear()
            return subject.subject_matte(rgb, quality=q)

        return run

    methods = [(f"tier {q}", tier(q)) for q in ("low", "medium", "high")]
    try:
        import pymatting
    except ImportError:
        return methods

    def closed_form(rgb: np.ndarray) -> np.ndarray:
        """pymatting's closed-form matting from a trimap around the medium tier's matte."""
        m = tier("medium")(rgb) > 0.5
        r = max(2, round(0.01 * max(m.shape)))
        k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
        trimap = np.full(m.shape, 0.5)
        trimap[cv2.erode(m.astype(np.uint8), k) > 0] = 1.0
        trimap[cv2.dilate(m.astype(np.uint8), k) == 0] = 0.0
        return pymatting.estimate_alpha_cf(rgb.astype(np.float64) / 255, trimap).astype(np.float32)

    return [*methods, ("medium + closed-form (pymatting)", closed_form)]


def select_methods(cases: list[vc.CutoutCase]) -> list[tuple[str, Callable[[vc.CutoutCase], np.ndarray]]]:
    """(label, case -> mask) for click-to-select with a click at each object's centre."""
    try:
        from retouch.vision.select import select
    except ImportError:
        return []

    def click(c: vc.CutoutCase) -> np.ndarray:
        return select(c.image, point=c.click)

    def box(c: vc.CutoutCase) -> np.ndarray:
        ys, xs = np.nonzero(c.alpha > 0.5)
        pad = 6
        b = (max(0, xs.min() - pad), max(0, ys.min() - pad), xs.max() + pad, ys.max() + pad)
        return select(c.image, box=b)

    return [("click at the centre", click), ("box around the object", box)]


def score_mattes(cases: list[vc.CutoutCase], label: str, fn: Callable, *, by_case: bool) -> list[dict]:
    rows = []
    for c in cases:
        t = time.perf_counter()
        a = fn(c) if by_case else fn(c.image)
        ms = (time.perf_counter() - t) * 1000
        a = np.asarray(a, np.float32)
        rows.append(
            {
                "method": label,
                "case": c.name,
                "group": c.group,
                "iou": vc.iou(a, c.alpha),
                "sad": vc.sad(a, c.alpha),
                "edge": vc.edge_error(a, c.alpha),
                "ms": ms,
                "ms_per_mp": ms / (c.alpha.size / 1e6),
                "_out": a,
            }
        )
    return rows


def cutout_table(rows: list[dict], *, per_case: bool = True) -> str:
    lines = [
        "| method | group | mean IoU | min IoU (case) | SAD (k) | edge error | ms per MP |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in dict.fromkeys(r["method"] for r in rows):
        for g in ("product", "people", "scene", "pair"):
            rs = [r for r in rows if r["method"] == label and r["group"] == g]
            if not rs:
                continue
            worst = min(rs, key=lambda r: r["iou"])
            lines.append(
                f"| {label} | {g} ({len(rs)}) | {np.mean([r['iou'] for r in rs]):.3f} | "
                f"{worst['iou']:.2f} ({worst['case']}) | {np.mean([r['sad'] for r in rs]):.2f} | "
                f"{np.mean([r['edge'] for r in rs]):.3f} | {np.median([r['ms_per_mp'] for r in rs]):.0f} |"
            )
    if per_case:
        labels = list(dict.fromkeys(r["method"] for r in rows))
        lines += ["", "IoU per case:", "", "| case | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for case in dict.fromkeys(r["case"] for r in rows):
            by = {r["method"]: r["iou"] for r in rows if r["case"] == case}
            vals = [by.get(m, float("nan")) for m in labels]
            lines.append(f"| {case} | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- picture sheets

#: The cut-outs shown in the sheet: the hard ones (silver on graded was the last below 0.75).
SHEET_CASES = {"light-on-light", "metal-on-plain", "metal-on-gradient", "glass-on-light", "mug-on-gradient",
               "ring-on-light", "thin-on-gradient", "fur-on-plain", "astronaut-256"}


def _label(img: np.ndarray, text: str) -> np.ndarray:
    im = Image.fromarray(img)
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, 7 * len(text) + 6, 14), fill=(0, 0, 0))
    d.text((3, 1), text, fill=(255, 255, 255))
    return np.asarray(im)


def _crop_box(hole: np.ndarray, shape: tuple[int, int], side: int = 112) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(hole)
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    half = max(side // 2, (max(np.ptp(ys), np.ptp(xs)) * 3) // 4)
    y0, x0 = max(0, cy - half), max(0, cx - half)
    return y0, min(shape[0], y0 + 2 * half), x0, min(shape[1], x0 + 2 * half)


def removal_sheet(cases: list[vc.RemovalCase], rows: list[dict], labels: list[str], path: Path) -> None:
    """A grid: one row per hole (input, truth, each method), crops around the hole enlarged to 112 px."""
    tiles = []
    for c in cases:
        y0, y1, x0, x1 = _crop_box(c.hole, c.hole.shape)
        row = []
        for name, img in [("input", c.image), ("truth", c.clean)] + [
            (lab, next(r["_out"] for r in rows if r["case"] == c.name and r["method"] == lab)) for lab in labels
        ]:
            crop = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1]), (112, 112), interpolation=cv2.INTER_CUBIC)
            row.append(_label(crop, name[:17]))
        tiles.append(np.concatenate(row, 1))
    sheet = np.concatenate(tiles, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, quality=72)



def _over(img: np.ndarray, a: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    return np.clip(img * a[..., None] + backdrop * (1 - a[..., None]), 0, 255).astype(np.uint8)


def spoon_sheet(path: Path) -> list[dict]:
    """The coffee spoon painted as a mask and removed by each tier's method (crops, 2x): the eye test."""
    img, hole = vc.example("coffee"), vc.spoon_mask()
    shown = img.copy()
    shown[hole] = (shown[hole] * 0.45 + np.array([255, 0, 255]) * 0.55).astype(np.uint8)
    tiles, rows = [_label(shown[30:350, 270:490], "the spoon, painted")], []
    for label, method, quality in [("low: Telea", "auto", "low"), ("Navier-Stokes (was medium)", "ns", "medium"),
                                   ("medium/high: PatchMatch", "auto", "high")]:
        t = time.perf_counter()
        out = run_removal(img, hole, method, quality)
        rows.append({"method": label, "ms": (time.perf_counter() - t) * 1000, "texture": vc.texture_ratio(out, hole)})
        tiles.append(_label(np.ascontiguousarray(out[30:350, 270:490]), label))
    sheet = np.concatenate(tiles, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, quality=88)
    return rows


def matte_sheet(cases: list[vc.CutoutCase], rows: list[dict], labels: list[str], path: Path) -> None:
    """A grid: one row per case (input, truth, each method's matte as the subject on a checkerboard)."""
    tiles = []
    for c in cases:
        h, w = c.alpha.shape
        yy, xx = np.mgrid[0:h, 0:w]
        checker = np.where(((yy // 12 + xx // 12) % 2)[..., None] == 0, 255.0, 200.0) * np.array([1.0, 0.85, 1.0])

        row = [_label(c.image, "input"), _label(_over(c.image, c.alpha, checker), "truth")]
        for lab in labels:
            r = next(r for r in rows if r["case"] == c.name and r["method"] == lab)
            row.append(_label(_over(c.image, r["_out"], checker), f"{lab[:12]} {r['iou']:.2f}"))
        row = [cv2.resize(t, (128, round(128 * h / w)), interpolation=cv2.INTER_AREA) for t in row]
        tiles.append(np.concatenate(row, 1))
    sheet = np.concatenate(tiles, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, quality=72)



# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = ["removal", "cutout", "select"]
    ap.add_argument("parts", nargs="*", metavar="PART", help="removal, cutout and/or select (default: all)")
    ap.add_argument("--subset", action="store_true", help="only the tests' fixed subset")
    ap.add_argument("--slow", action="store_true", help="also FSR best (seconds per hole)")
    ap.add_argument("--sheets", type=Path, help="write picture sheets (JPEG) into this folder")
    ap.add_argument("--json", type=Path, help="write every row to this file")
    args = ap.parse_args(argv)
    args.parts = args.parts or parts
    if set(args.parts) - set(parts):
        ap.error(f"unknown part(s) {', '.join(sorted(set(args.parts) - set(parts)))}: choose from {', '.join(parts)}")
    out: dict[str, list[dict]] = {}
    if "removal" in args.parts:
        cases = vc.removal_cases(subset=args.subset)
        methods = REMOVAL_METHODS + (SLOW_METHODS if args.slow else [])
        rows = bench_removal(cases, methods)
        print("## Object removal (scores inside the hole; higher is better; texture ~1 is natural)")
        print(removal_table(rows))
        if args.sheets:
            labels = ["telea", "navier-stokes", "FSR fast (opencv-contrib)", "tier medium", "tier high"]
            removal_sheet(cases, rows, labels, args.sheets / "removal-sheet.jpg")
            for r in spoon_sheet(args.sheets / "spoon.jpg"):
                print(f"spoon: {r['method']}: {r['ms']:.0f} ms, texture {r['texture']:.2f}")
        out["removal"] = rows
    cut_cases = vc.cutout_cases(subset=args.subset) if {"cutout", "select"} & set(args.parts) else []
    if "cutout" in args.parts:
        rows = []
        for label, fn in matte_methods():
            rows += score_mattes(cut_cases, label, fn, by_case=False)
        print("\n## Cut-outs (subject matte; IoU of alpha > 0.5, SAD in thousands, edge error = mean |Δα| ±4 px)")
        print(cutout_table(rows))
        if args.sheets:
            shown = [c for c in cut_cases if c.name in SHEET_CASES]
            matte_sheet(shown, rows, ["tier low", "tier medium"], args.sheets / "cutout-sheet.jpg")
        out["cutout"] = rows
    if "select" in args.parts:
        rows = []
        sel_cases = cut_cases + vc.select_cases(subset=args.subset)
        for label, fn in select_methods(sel_cases):
            rows += score_mattes(sel_cases, label, fn, by_case=True)
        if rows:
            print("\n## Click-to-select (retouch.select)")
            print(cutout_table(rows))
            if args.sheets:
                labels = list(dict.fromkeys(r["method"] for r in rows))
                shown = [c for c in sel_cases if c.group in ("scene", "pair")]
                matte_sheet(shown, rows, labels, args.sheets / "select-sheet.jpg")
        out["select"] = rows
    if args.json:
        plain = {k: [{a: b for a, b in r.items() if not a.startswith("_")} for r in v] for k, v in out.items()}
        args.json.write_text(json.dumps(plain, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
