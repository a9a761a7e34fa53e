"""Run one instruction over a set of images: independently, or as one consistent set.

Independent (the default): every image gets the same instruction, one output per input.

Consistent (`consistent=True`, or words such as "make them consistent" in the instruction):

1. **measure** every input on a small copy (JPEG decoded at reduced scale in the codec), one
   image at a time per worker, keeping only the statistics and a 128 px sample;
2. **target**: the set's medians, or the reference image's own look;
3. **plan** each image: framing, exposure and white balance, contrast, then the instruction
   (see `retouch.consistency.plan`), shown by `retouch batch --dry-run`;
4. **edit** the images in parallel (`jobs`), each decoded, edited, encoded and written before
   its memory is freed: peak memory depends on `jobs`, not on the size of the set.

A file that cannot be read or edited is reported in its item; the others are still done.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import OptionError, RetouchError
from .schema import EditPlan

#: progress(stage, done, total): stage is "measuring" or "editing".
BatchProgress = Callable[[str, int, int], None]


@dataclass
class BatchItem:
    """The outcome for one input: where it was written (or its bytes), the plan that ran, or the error."""

    index: int
    source: str
    output: Path | None = None
    plan: EditPlan | None = None
    width: int | None = None
    height: int | None = None
    images: list[bytes] = field(default_factory=list, repr=False)  # encoded outputs when not written
    error: RetouchError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BatchResult:
    """Every item, in input order, with the consistency request and target when there was one."""

    items: list[BatchItem]
    consistency: Any = None  # ConsistencyRequest | None
    target: Any = None  # SetTarget | None

    @property
    def failures(self) -> list[BatchItem]:
        return [i for i in self.items if not i.ok]


def output_paths(inputs: Sequence[Any], out_dir: Path, ext: str) -> list[Path]:
    """DIR/<stem>.<ext> per input; repeated stems get -2, -3 so nothing is overwritten."""
    seen: dict[str, int] = {}
    paths = []
    for k, inp in enumerate(inputs):
        stem = Path(os.fspath(inp)).stem if isinstance(inp, str | os.PathLike) else f"image-{k + 1}"
        seen[stem] = seen.get(stem, 0) + 1
        name = stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"
        paths.append(out_dir / f"{name}.{ext}")
    return paths


def source_name(image: Any, k: int) -> str:
    """How an input is named in messages: its path, else `image N`."""
    return os.fspath(image) if isinstance(image, str | os.PathLike) else f"image {k + 1}"


def run_batch(
    images: Sequence[Any],
    prompt: str,
    *,
    plan: Any = None,
    outputs: Sequence[Path] | None = None,
    consistent: bool | str | Sequence[str] = False,
    reference: int | Any | None = None,
    mask: Any | None = None,
    size: str = "auto",
    quality: str = "auto",
    output_format: str = "png",
    output_compression: int | None = None,
    background: str = "auto",
    engine: str = "builtin",
    model: str | None = None,
    jobs: int = 1,
    dry_run: bool = False,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Edit every image with `prompt`, writing `outputs[k]` (or keeping the bytes); see the module doc.

    `consistent`: True (tone, color, framing), an aspect list ("tone,color"), or False to take it
    from the prompt's words. `reference`: a 1-based input number (-1 = the last) or an image
    (path, bytes, array) the set is matched to; default the set's median.
    """
    from .consistency import ConsistencyRequest, read_consistency

    if not images:
        raise OptionError("a batch needs at least one image", param="images")
    if jobs < 1:
        raise OptionError("jobs must be at least 1", param="jobs")
    if outputs is not None and len(outputs) != len(images):
        raise OptionError("give one output path per image", param="outputs")
    said, rest = read_consistency(prompt)
    request = _merge(said, consistent, reference)
    if plan is not None:
        from .plans import load_plan

        if request is not None:
            raise OptionError("a plan cannot be combined with consistency (nor its words)", param="plan")
        plan = load_plan(plan, n_images=1, has_mask=mask is not None)
    if request is None:
        return _independent(images, prompt, outputs, mask, size, quality, output_format, output_compression,
                            background, engine, model, jobs, dry_run, progress, plan)
    assert isinstance(request, ConsistencyRequest)
    return _consistent(images, prompt, rest, request, reference, outputs, mask, size, quality, output_format,
                       output_compression, background, engine, jobs, dry_run, progress)


def _merge(said: Any, consistent: bool | str | Sequence[str], reference: Any) -> Any:
    """The request from the words and the options together (options win where both speak)."""
    from .consistency import ASPECTS, DEFAULT_ASPECTS, ConsistencyRequest

    if not consistent and said is None and reference is None:
        return None
    aspects = said.aspects if said is not None else DEFAULT_ASPECTS
    if isinstance(consistent, str | list | tuple):
        names = consistent.split(",") if isinstance(consistent, str) else list(consistent)
        names = [n.strip().lower().replace("colour", "color") for n in names if n.strip()]
        bad = [n for n in names if n not in ASPECTS]
        if bad:
            raise OptionError(f"unknown consistency aspect {bad[0]!r}: use {', '.join(ASPECTS)}", param="consistent")
        aspects = tuple(a for a in ASPECTS if a in names)
    ref: str | int = said.reference if said is not None else "median"
    if isinstance(reference, int) and not isinstance(reference, bool):
        ref = reference
    words = said.text if said is not None else ()
    return ConsistencyRequest(aspects, ref, words)


# --------------------------------------------------------------------------- independent edits


def _independent(
    images: Sequence[Any], prompt: str, outputs: Sequence[Path] | None, mask: Any, size: str, quality: str,
    fmt: str, compression: int | None, background: str, engine: str, model: str | None, jobs: int,
    dry_run: bool, progress: BatchProgress | None, given: Any = None,
) -> BatchResult:  # fmt: skip
    from .editing import edit, explain

    # refuse before any work
    plan = given if given is not None else explain(prompt, n_images=1, has_mask=mask is not None, engine=engine)
    items = [BatchItem(k, source_name(im, k), plan=plan) for k, im in enumerate(images)]
    if dry_run:
        return BatchResult(items)
    _make_folders(outputs)

    def one(k: int) -> None:
        out = outputs[k] if outputs is not None else None
        res = edit(images[k], prompt, plan=given, output=out, mask=mask, size=size, quality=quality, output_format=fmt,
                   output_compression=compression, background=background, engine=engine, model=model)
        items[k] = replace(items[k], output=out, plan=res.plan, width=res.width, height=res.height,
                           images=[] if out is not None else res.images)

    _each(range(len(images)), one, items, jobs, "editing", progress)
    return BatchResult(items)


# --------------------------------------------------------------------------- consistent sets


def _consistent(
    images: Sequence[Any], prompt: str, rest: str, request: Any, reference: Any,
    outputs: Sequence[Path] | None, mask: Any, size: str, quality: str, fmt: str, compression: int | None,
    background: str, engine: str, jobs: int, dry_run: bool, progress: BatchProgress | None,
) -> BatchResult:  # fmt: skip
    from .consistency import check_request, measure_file, plan_set, reference_index
    from .editing import image_bytes
    from .engines.builtin import BuiltinEngine
    from .imaging import parse_size

    check_request(request, engine=engine, has_mask=mask is not None)
    builtin = BuiltinEngine()
    n = len(images)
    ref_index = reference_index(request.reference, n)
    instruction = (
        builtin.plan(rest, n_images=1, has_mask=mask is not None) if rest.strip() else EditPlan(prompt=rest)
    )
    target_size = parse_size(size)
    items = [BatchItem(k, source_name(im, k)) for k, im in enumerate(images)]

    # 1. measure: one small copy per worker at a time; only statistics are kept
    stats: list[Any] = [None] * n

    def measure(k: int) -> None:
        stats[k] = measure_file(image_bytes(images[k]), what=f"image {k + 1}")

    _each(range(n), measure, items, jobs, "measuring", progress)
    if ref_index is not None and not items[ref_index].ok:
        raise RetouchError(f"the reference image {ref_index + 1} could not be read: {items[ref_index].error}")
    outside = None
    if reference is not None and not isinstance(reference, int):
        outside = measure_file(image_bytes(reference), what="reference image")

    # 2. target, 3. plans (the samples are dropped with `stats` once planned)
    target, plans = plan_set(stats, request, instruction, reference=outside, reference_index=ref_index,
                             size=target_size)
    stats.clear()
    if target is None:
        return BatchResult(items, request)
    for item, plan in zip(items, plans, strict=True):
        item.plan = plan
    if dry_run:
        return BatchResult(items, request, target)
    _make_folders(outputs)

    # 4. edit in parallel; each worker holds one image at a time
    from .schema import EditRequest

    def edit_one(k: int) -> None:
        item = items[k]
        assert item.plan is not None
        request_k = EditRequest(
            images=[image_bytes(images[k])], prompt=prompt, size=size, quality=quality,
            output_format=fmt, output_compression=compression, background=background,
        )
        res = builtin.edit(request_k, plan=item.plan)
        out = outputs[k] if outputs is not None else None
        if out is not None:
            from .editing import write_atomic

            write_atomic(out, res.images[0])
        item.output, item.width, item.height = out, res.width, res.height
        item.images = [] if out is not None else res.images

    _each([k for k in range(n) if items[k].ok], edit_one, items, jobs, "editing", progress)
    return BatchResult(items, request, target)


def _make_folders(outputs: Sequence[Path] | None) -> None:
    """Create the output folders, once the batch is known to run (a refused batch leaves none)."""
    for folder in {Path(p).parent for p in outputs or ()}:
        folder.mkdir(parents=True, exist_ok=True)


def _each(
    ks: Sequence[int] | range,
    fn: Callable[[int], None],
    items: list[BatchItem],
    jobs: int,
    stage: str,
    progress: BatchProgress | None,
) -> None:
    """fn(k) for every k on `jobs` threads; a RetouchError becomes the item's error, the rest go on."""
    total = len(ks)
    done = [0]
    lock = threading.Lock()
    if progress is not None:
        progress(stage, 0, total)

    def run(k: int) -> None:
        try:
            fn(k)
        except RetouchError as e:
            items[k].error = e
        with lock:
            done[0] += 1
            if progress is not None:
                progress(stage, done[0], total)

    if jobs == 1 or total <= 1:
        for k in ks:
            run(k)
        return
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for f in [pool.submit(run, k) for k in ks]:
            f.result()
