"""The Python entry points: `retouch.edit(...)`, `retouch.explain(...)`, `retouch.batch(...)`."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import OptionError
from .schema import EditPlan, EditRequest, EditResult

# NumPy is imported where an image is handled, not here: `retouch explain` never needs it.
ImageLike = str | os.PathLike | bytes | Any  # Any: a NumPy array or a PIL.Image.Image

#: File extensions and the output format they imply.
EXTENSION_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def image_bytes(image: ImageLike) -> bytes:
    """Encoded bytes for a path, bytes, a uint8 NumPy array (RGB/RGBA/gray) or a PIL image."""
    import numpy as np

    from .imaging import read_input

    if isinstance(image, bytes | bytearray | memoryview):
        return bytes(image)
    if isinstance(image, str | os.PathLike):
        return read_input(image)
    if isinstance(image, np.ndarray):
        from .imaging import encode_image

        arr = image if image.ndim == 3 else np.dstack([image] * 3)
        if arr.dtype != np.uint8:
            raise OptionError("NumPy images must be uint8 (HxW, HxWx3 or HxWx4)", param="image")
        return encode_image(arr, "png", quality="low")
    if hasattr(image, "save"):  # a PIL image: stored losslessly
        buf = io.BytesIO()
        image.save(buf, "PNG", compress_level=1)
        return buf.getvalue()
    raise OptionError(f"cannot use {type(image).__name__} as an image", param="image")


def format_for_path(path: str | os.PathLike, output_format: str | None) -> str:
    """The output format: given explicitly, else from the file extension, else png."""
    ext = Path(path).suffix.lower()
    implied = EXTENSION_FORMATS.get(ext)
    if output_format is None:
        if ext and implied is None:
            raise OptionError(
                f"cannot tell the output format from '{ext}': use .png, .jpg or .webp, or give the output format",
                param="output_format",
            )
        return implied or "png"
    if implied is not None and implied != output_format:
        raise OptionError(
            f"output file extension '{ext}' does not match output format '{output_format}'",
            param="output_format",
        )
    return output_format


def edit(
    images: ImageLike | Sequence[ImageLike],
    prompt: str = "",
    *,
    plan: EditPlan | dict[str, Any] | str | None = None,
    after: EditPlan | dict[str, Any] | str | None = None,
    output: str | os.PathLike | None = None,
    mask: ImageLike | None = None,
    size: str = "auto",
    quality: str = "auto",
    output_format: str | None = None,
    output_compression: int | None = None,
    background: str = "auto",
    n: int = 1,
    engine: str = "builtin",
    model: str | None = None,
) -> EditResult:
    """Edit the first image as the prompt says (further images are references); optionally save it.

    >>> result = retouch.edit("photo.jpg", "brighten by 20% and add a vignette", output="out.png")
    >>> print(result.plan.describe())

    `plan` (an EditPlan, its dict, or the JSON `retouch.explain(...).model_dump_json()` gives) runs
    instead of the prompt's plan, on the builtin engine; it is checked against the op spec first.

    `after` (the plan that made the version being edited, same forms) reads the prompt as a follow-up
    ("a bit less", "undo the vignette"): the revised full plan runs on `images`, which must be that
    version's original input (not its output), so that "a bit less" is less of the original, not more.
    """
    import numpy as np
    from pydantic import ValidationError

    from .engines import get_engine
    from .plans import load_plan

    items = (
        [images]
        if isinstance(images, str | os.PathLike | bytes | np.ndarray) or hasattr(images, "save")
        else list(images)
    )
    fmt = format_for_path(output, output_format) if output is not None else (output_format or "png")
    try:
        request = EditRequest(
            images=[image_bytes(i) for i in items],
            prompt=prompt,
            mask=image_bytes(mask) if mask is not None else None,
            size=size,
            quality=quality,
            output_format=fmt,
            output_compression=output_compression,
            background=background,
            n=n,
            engine=engine,
            model=model,
        )
    except ValidationError as e:
        raise OptionError(validation_message(e)) from None
    eng = get_engine(engine)
    if after is not None:
        if plan is not None:
            raise OptionError("give a plan or a follow-up to a previous plan (after), not both", param="after")
        plan = explain(
            prompt,
            n_images=len(request.images),
            has_mask=request.mask is not None,
            engine=engine,
            after=load_plan(after),
        )
    if plan is not None:
        from .engines.builtin import BuiltinEngine

        if not isinstance(eng, BuiltinEngine):
            raise OptionError(f"a plan runs on the builtin engine; engine '{engine}' follows the prompt", param="plan")
        checked = load_plan(plan, n_images=len(request.images), has_mask=request.mask is not None)
        result = eng.edit(request, plan=checked)
    else:
        result = eng.edit(request)
    if output is not None:
        for path, data in zip(output_paths(output, n), result.images, strict=True):
            write_atomic(path, data)
    return result


def explain(
    prompt: str,
    *,
    n_images: int = 1,
    has_mask: bool = False,
    engine: str = "builtin",
    after: EditPlan | dict[str, Any] | str | None = None,
) -> EditPlan:
    """The plan the engine would run for `prompt`, without running it.

    With `after` (a previous plan), the prompt is a follow-up and the result is the revised full plan;
    its notes say what changed ("contrast +0.40 → +0.20 (“a bit less”)").
    """
    from .engines import get_engine

    if after is not None:
        from .engines.builtin import BuiltinEngine
        from .planner import plan_from_text
        from .plans import load_plan

        if not isinstance(get_engine(engine), BuiltinEngine):
            raise OptionError(
                f"follow-ups revise a plan of the builtin engine, not of engine '{engine}'", param="after"
            )
        return plan_from_text(prompt, n_images=n_images, has_mask=has_mask, after=load_plan(after))
    return get_engine(engine).plan(prompt, n_images=n_images, has_mask=has_mask)


def batch(
    images: Sequence[ImageLike],
    prompt: str = "",
    *,
    plan: EditPlan | dict[str, Any] | str | None = None,
    out_dir: str | os.PathLike | None = None,
    consistent: bool | str | Sequence[str] = False,
    reference: int | ImageLike | None = None,
    mask: ImageLike | None = None,
    size: str = "auto",
    quality: str = "auto",
    output_format: str = "png",
    output_compression: int | None = None,
    background: str = "auto",
    engine: str = "builtin",
    model: str | None = None,
    jobs: int = 1,
    dry_run: bool = False,
    progress: Any = None,
) -> Any:
    """Edit every image with the same instruction; with `consistent`, also make the set look like one shoot.

    Writes `out_dir/<stem>.<ext>` per input when `out_dir` is given (outputs are then not kept in
    memory), else each item carries its encoded bytes. `consistent=True` (or words such as "make
    them consistent" in the prompt) brings exposure, white balance and framing to the set's median;
    `consistent="tone,color"` picks aspects (tone, color, framing, background); `reference=1`
    (1-based, -1 = last) or an image matches the set to that instead. `dry_run` only plans.
    `plan` (as for `edit`) runs on every image instead of the prompt's plan.
    Returns a `retouch.batches.BatchResult`: one item per input (output path, plan, size, error).

    >>> res = retouch.batch(["a.jpg", "b.jpg"], "white background", out_dir="shop", consistent=True)
    >>> print(res.items[0].plan.describe())
    """
    from .batches import output_paths as batch_paths
    from .batches import run_batch

    items = list(images)
    outputs = None
    if out_dir is not None:
        fmt = "jpg" if output_format == "jpeg" else output_format
        outputs = batch_paths(items, Path(out_dir), fmt)
    return run_batch(
        items,
        prompt,
        plan=plan,
        outputs=outputs,
        consistent=consistent,
        reference=reference,
        mask=mask,
        size=size,
        quality=quality,
        output_format=output_format,
        output_compression=output_compression,
        background=background,
        engine=engine,
        model=model,
        jobs=jobs,
        dry_run=dry_run,
        progress=progress,
    )


def output_paths(output: str | os.PathLike, n: int) -> list[Path]:
    """`out.png` for one output; `out.png, out-2.png, ...` for several."""
    p = Path(output)
    return [p] + [p.with_name(f"{p.stem}-{k}{p.suffix}") for k in range(2, n + 1)]


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written output."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def validation_message(e: Any) -> str:
    """One line from a pydantic ValidationError: the field and what is wrong."""
    err = e.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "request"
    return f"invalid {field}: {err.get('msg', 'invalid value')}"
