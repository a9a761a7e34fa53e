"""The `diffusers` engine: generative edits with open-weight models on a local GPU (or the CPU).

Install with `pip install 'retouch[diffusers]'` (torch, diffusers, transformers, accelerate);
nothing of it is imported until an edit runs. Models are the pipeline families in
`engines/diffusion/` (Qwen-Image-Edit(-Plus), FLUX.1 Kontext, InstructPix2Pix for
instructions; FLUX.1 Fill, SDXL inpainting, Qwen-Image-Edit inpainting under a mask).

- Weights come from a local folder or the local Hugging Face cache; nothing is downloaded
  unless `allow_download` (or RETOUCH_DIFFUSERS_ALLOW_DOWNLOAD=1) says so.
- One pipeline is resident per device; asking for another unloads it first. Requests are
  serialised per device by a lock: a pipeline is never used by two threads at once.
- Quality tiers map to step counts; the working size keeps the input's aspect near the
  model's preferred area, snapped to its multiple, and the output is resized back.
- Progress comes from `callback_on_step_end` (with decoded previews when
  `EditOptions.partial_images` asks); cancellation (the cancel event, or an exception
  raised by the progress callback) sets the pipeline's interrupt flag and is re-raised
  once the pipeline has returned; seeds make outputs reproducible (output i: seed + i).
- With a mask, pixels outside it are the input's, bit for bit.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OptionError
from ..schema import EditPlan, EditRequest, EditResult, resolved_quality
from ..tokens import estimate_usage
from .base import Capabilities, EditCancelled, EditOptions, EngineUnavailable, ProgressFn
from .diffusion import FAMILIES, Call, PipelineFamily, family_for_weights, find_family
from .generative import (
    apply_background,
    check_cancel,
    check_common,
    decode_inputs,
    generative_plan,
    png_bytes,
    postprocess,
    report,
    resize,
    snap_size,
    wanted_model,
)

DEFAULT_MODEL = "qwen-image-edit"
ENGINE_NAMES = ("diffusers", "auto", "route", "routing")
DTYPES = ("auto", "bfloat16", "float16", "float32")
OFFLOAD = ("auto", "none", "model", "sequential")


@dataclass
class _Slot:
    """The pipeline resident on one device, and the lock that serialises its use."""

    lock: threading.Lock
    key: tuple[str, str, str, str] | None = None  # (family, source, dtype, offload)
    pipe: Any = None


_slots: dict[str, _Slot] = {}
_slots_lock = threading.Lock()


def device_slot(device: str) -> _Slot:
    with _slots_lock:
        if device not in _slots:
            _slots[device] = _Slot(threading.Lock())
        return _slots[device]


class _Stop(Exception):
    """Raised inside the callback of pipelines without an interrupt flag, to stop the loop."""


class DiffusersEngine:
    """Open-weight generative edits through diffusers pipelines."""

    name = "diffusers"
    request_options = frozenset(
        {"partial_images", "seed", "steps", "guidance_scale", "negative_prompt", "cancel"}
    )
    capabilities = Capabilities(
        instruction_edit=True,
        mask_inpaint=True,
        max_images=3,
        transparency=False,
        streaming=True,
        generative=True,
        models=tuple(FAMILIES),
        sizes="any: the model works near its preferred area (multiples of 8/16), then resizes",
    )

    def __init__(
        self,
        model: str | None = None,
        *,
        inpaint_model: str | None = None,
        weights: dict[str, str] | None = None,
        device: str | None = None,
        dtype: str | None = None,
        offload: str | None = None,
        allow_download: bool | None = None,
        resolution: int | None = None,
        low_memory: bool = False,
    ) -> None:
        env = os.environ.get
        self.model = model or env("RETOUCH_DIFFUSERS_MODEL") or DEFAULT_MODEL
        #: "auto": the model's partner if its weights are here, else the model itself + mask composite
        self.inpaint_model = inpaint_model or env("RETOUCH_DIFFUSERS_INPAINT_MODEL") or "auto"
        self.weights = {**parse_weights(env("RETOUCH_DIFFUSERS_WEIGHTS", "")), **(weights or {})}
        self.device = device or env("RETOUCH_DIFFUSERS_DEVICE") or "auto"
        self.dtype = dtype or env("RETOUCH_DIFFUSERS_DTYPE") or "auto"
        self.offload = offload or env("RETOUCH_DIFFUSERS_OFFLOAD") or "auto"
        self.allow_download = (
            allow_download
            if allow_download is not None
            else env("RETOUCH_DIFFUSERS_ALLOW_DOWNLOAD", "") in ("1", "true", "yes")
        )
        res = resolution or int(env("RETOUCH_DIFFUSERS_RESOLUTION", "0") or 0)
        self.resolution = res or None  # working side (area res²); None: the model's own
        self.low_memory = low_memory
        if self.dtype not in DTYPES:
            raise OptionError(f"dtype must be one of {', '.join(DTYPES)}", param="dtype")
        if self.offload not in OFFLOAD:
            raise OptionError(f"offload must be one of {', '.join(OFFLOAD)}", param="offload")
        self.family, self.source = self._family_and_source(self.model)
        self._injected: dict[str, Any] = {}

    # ---- registry face

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """A generative model takes any instruction: the plan is one step naming the model."""
        return generative_plan(prompt, self.name, self.family.name)

    def ready(self) -> tuple[bool, str]:
        """Extra installed, weights present locally (no network, no torch import unless weights exist)."""
        from importlib.util import find_spec

        missing = [m for m in ("torch", "diffusers", "transformers") if find_spec(m) is None]
        if missing:
            return False, f"{', '.join(missing)} not installed: pip install 'retouch[diffusers]'"
        if self.family.name in self._injected:
            return True, f"{self.family.name} (pipeline given in process)"
        if not self.weights_present(self.source) and not self.allow_download:
            return False, (
                f"weights for {self.family.name} not found ({self.source}); "
                f"`hf download {self.family.repo_id}` or set RETOUCH_DIFFUSERS_WEIGHTS / "
                "RETOUCH_DIFFUSERS_ALLOW_DOWNLOAD=1"
            )
        return True, f"{self.family.name} from {self.source} on {self.resolved_device()}"

    # ---- weights, device, pipelines

    def _family_and_source(self, model: str) -> tuple[PipelineFamily, str]:
        """(family, weights source) for a model name, alias, repo id or local weights folder."""
        fam = find_family(model)
        if fam is not None:
            return fam, self.weights.get(fam.name, fam.repo_id)
        fam = family_for_weights(model)
        if fam is not None:
            return fam, model
        raise OptionError(
            f"unknown diffusers model {model!r}; known: {', '.join(FAMILIES)} (or a local folder of diffusers weights)",
            param="model",
        )

    def weights_present(self, source: str) -> bool:
        """A local folder with model_index.json, or a repo already in the local Hugging Face cache."""
        if Path(source).is_dir():
            return (Path(source) / "model_index.json").is_file()
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return False
        return isinstance(try_to_load_from_cache(source, "model_index.json"), str)

    def resolved_device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"

    def resolved_dtype(self, device: str) -> Any:
        import torch

        if self.dtype != "auto":
            return getattr(torch, self.dtype)
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if device == "mps":
            return torch.float16
        return torch.float32  # bf16 matmuls on most CPUs are slower than fp32

    def use_pipeline(self, pipe: Any, model: str | None = None) -> None:
        """Run a pipeline built in this process (tests, notebooks) for `model` instead of loading weights."""
        fam = find_family(model) if model else self.family
        if fam is None:
            raise OptionError(f"unknown diffusers model {model!r}", param="model")
        self._injected[fam.name] = pipe

    def _pipeline(self, fam: PipelineFamily, source: str, device: str, slot: _Slot) -> Any:
        """The pipeline for `fam`, made resident on `device` (the caller holds the slot's lock)."""
        if fam.name in self._injected:
            return self._injected[fam.name]
        dtype = self.resolved_dtype(device)
        offload = self._offload(fam, device)
        key = (fam.name, source, str(dtype), offload)
        if slot.key == key:
            return slot.pipe
        unload(slot)
        slot.pipe = self._load(fam, source, dtype, device, offload)
        slot.key = key
        return slot.pipe

    def _offload(self, fam: PipelineFamily, device: str) -> str:
        if self.offload != "auto":
            return self.offload
        if not device.startswith("cuda"):
            return "none"
        import torch

        total_gb = torch.cuda.get_device_properties(torch.device(device)).total_memory / 2**30
        if total_gb >= fam.vram_gb * 1.15:
            return "none"
        # model offload keeps one component on the GPU at a time; below that, layer by layer (slow)
        return "model" if total_gb >= fam.offload_vram_gb * 1.15 else "sequential"

    def _load(self, fam: PipelineFamily, source: str, dtype: Any, device: str, offload: str) -> Any:
        import diffusers

        cls = getattr(diffusers, fam.pipeline_class, None)
        if cls is None:
            raise EngineUnavailable(
                f"{fam.name} needs a newer diffusers (no {fam.pipeline_class}): pip install -U diffusers"
            )
        local_only = not self.allow_download
        if local_only and not self.weights_present(source):
            raise EngineUnavailable(
                f"weights for {fam.name} not found ({source}); download them with "
                f"`hf download {fam.repo_id}` or allow downloads "
                "(RETOUCH_DIFFUSERS_ALLOW_DOWNLOAD=1)"
            )
        try:
            pipe = cls.from_pretrained(source, dtype=dtype, local_files_only=local_only)  # diffusers>=0.42
        except (OSError, ValueError) as e:
            raise EngineUnavailable(f"cannot load {fam.name} from {source}: {e}") from None
        if offload == "model":
            pipe.enable_model_cpu_offload(device=device)
        elif offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=device)
        else:
            pipe.to(device)
        if self.low_memory and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        pipe.set_progress_bar_config(disable=True)
        return pipe

    # ---- the edit

    def edit(
        self, request: EditRequest, *, progress: ProgressFn | None = None, options: EditOptions | None = None
    ) -> EditResult:
        """Run one edit: choose the family, prepare inputs, run the pipeline n times, post-process."""
        opts = options or EditOptions()
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        check_common(request, transparency=False, engine="diffusers")
        fam, source, composite_only = self._choose(request)
        if len(request.images) > fam.max_images:
            more = [f.name for f in FAMILIES.values() if f.max_images >= len(request.images)]
            raise OptionError(
                f"{fam.name} takes {fam.max_images} image(s), got {len(request.images)}"
                + (f"; {', '.join(more)} takes several" if more else ""),
                param="image",
            )
        check_cancel(opts)
        quality = resolved_quality(request.quality)
        steps = opts.steps or fam.steps[quality]
        if not 1 <= steps <= 200:
            raise OptionError("steps must be 1 to 200", param="steps")

        t = time.perf_counter()
        inputs = decode_inputs(request)
        side = self.resolution
        width, height = snap_size(*inputs.size, pixels=side * side if side else fam.pixels, multiple=fam.multiple)
        call_images = [to_pil(resize(im[..., :3] if im.shape[2] == 4 else im, (width, height))) for im in inputs.images]
        mask = None
        if fam.task == "inpaint":
            assert inputs.mask is not None
            m = resize(inputs.mask.astype(np.float32), (width, height))
            mask = to_pil((np.clip(m, 0, 1) * 255 + 0.5).astype(np.uint8))
        timings["prepare"] = _ms(t)

        import torch

        device = self.resolved_device()
        slot = device_slot(device)
        outputs: list[np.ndarray] = []
        t = time.perf_counter()
        report(progress, 0.02, f"waiting for {device}")
        with slot.lock:
            check_cancel(opts)
            report(progress, 0.05, f"loading {fam.name}")
            pipe = self._pipeline(fam, source, device, slot)
            timings["load"] = _ms(t)
            t = time.perf_counter()
            for i in range(request.n):
                seed = (opts.seed + i) if opts.seed is not None else int(torch.seed() % 2**31)
                call = Call(
                    prompt=request.prompt,
                    images=call_images,
                    mask=mask,
                    width=width,
                    height=height,
                    steps=steps,
                    guidance_scale=opts.guidance_scale,
                    negative_prompt=opts.negative_prompt,
                    generator=torch.Generator("cpu").manual_seed(seed),
                )
                span = (0.1 + 0.8 * i / request.n, 0.8 / request.n)
                outputs.append(self._run(fam, pipe, call, span, progress, opts, inputs, quality, request))
        timings["generate"] = _ms(t)

        t = time.perf_counter()
        from ..imaging import encode_image

        finals = [apply_background(postprocess(o, inputs, quality), request.background) for o in outputs]
        images = [
            encode_image(f, request.output_format, compression=request.output_compression, quality=quality)
            for f in finals
        ]
        timings["finish"] = _ms(t)
        timings["total"] = _ms(t0)
        h, w = finals[0].shape[:2]
        report(progress, 1.0, "done")
        params: dict[str, object] = {"steps": steps, "size": f"{width}x{height}"}
        if opts.seed is not None:
            params["seed"] = opts.seed
        if composite_only:
            params["mask"] = "composite"
        return EditResult(
            images=images,
            output_format=request.output_format,
            width=w,
            height=h,
            quality=quality,
            background="transparent" if finals[0].shape[2] == 4 else "opaque",
            plan=generative_plan(request.prompt, self.name, fam.name, **params),
            usage=estimate_usage([i.shape[1::-1] for i in inputs.images], request.prompt, (w, h), quality, request.n),
            timings_ms=timings,
            engine=self.name,
        )

    def _choose(self, request: EditRequest) -> tuple[PipelineFamily, str, bool]:
        """(family, weights source, masked-by-compositing-only) for this request."""
        wanted = wanted_model(request, self.name, ENGINE_NAMES)
        fam, source = self._family_and_source(wanted) if wanted else (self.family, self.source)
        if request.mask is None:
            if fam.task == "inpaint":
                raise OptionError(
                    f"{fam.name} edits under a mask: give a mask, or use an instruction model such as {DEFAULT_MODEL}",
                    param="mask",
                )
            return fam, source, False
        if fam.task == "inpaint":
            return fam, source, False
        partner = self.inpaint_model if self.inpaint_model != "auto" else fam.inpaint_partner
        if partner and partner != "composite":
            pfam, psource = self._family_and_source(partner)
            explicit = self.inpaint_model != "auto"
            if explicit or pfam.name in self._injected or self.weights_present(psource):
                return pfam, psource, False
        # No inpainting weights here: the instruction model edits the whole image and the
        # mask confines the change (outside bit-exact, feathered inside).
        return fam, source, True

    def _run(
        self,
        fam: PipelineFamily,
        pipe: Any,
        call: Call,
        span: tuple[float, float],
        progress: ProgressFn | None,
        opts: EditOptions,
        inputs: Any,
        quality: str,
        request: EditRequest,
    ) -> np.ndarray:
        """One pipeline call with progress, previews and cancellation; returns uint8 HxWx3."""
        start, width = span
        previews = preview_steps(call.steps, opts.partial_images)
        stopped: list[BaseException] = []

        def on_step_end(p: Any, step: int, timestep: Any, kw: dict[str, Any]) -> dict[str, Any]:
            partial = None
            if step + 1 in previews and "latents" in kw:
                partial = self._preview(fam, p, kw["latents"], call, inputs, quality, request)
            try:
                done = min(step + 1, call.steps)  # some schedulers take an extra step
                report(progress, start + width * done / call.steps, f"step {done}/{call.steps}", partial)
                check_cancel(opts)
            except BaseException as e:  # the caller's way to stop (e.g. a job canceled)
                stopped.append(e)
                if fam.interrupt:
                    p._interrupt = True
                else:
                    raise _Stop from None
            return kw

        result = None
        with contextlib.suppress(_Stop):  # raised by the callback: the loop stopped
            result = pipe(
                **fam.kwargs(call),
                output_type="np",
                callback_on_step_end=on_step_end,
                callback_on_step_end_tensor_inputs=["latents"],
            )
        if stopped or result is None:
            raise stopped[0] if stopped else EditCancelled("the edit was canceled")
        arr = np.asarray(result.images[0])
        return (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)

    def _preview(
        self,
        fam: PipelineFamily,
        pipe: Any,
        latents: Any,
        call: Call,
        inputs: Any,
        quality: str,
        request: EditRequest,
    ) -> bytes | None:
        """A decoded, post-processed PNG of the current latents; None if this pipeline cannot decode one."""
        try:
            arr = fam.decode(pipe, latents, call.width, call.height)
        except Exception:  # a preview is a nicety: never fail the edit for it
            return None
        return png_bytes(apply_background(postprocess(arr, inputs, quality), request.background))


def preview_steps(steps: int, partials: int) -> set[int]:
    """The (1-based) steps after which a preview is decoded: evenly spaced, never the last."""
    if partials <= 0 or steps < 2:
        return set()
    return {max(1, round(steps * k / (partials + 1))) for k in range(1, partials + 1)} - {steps}


def unload(slot: _Slot) -> None:
    """Drop the resident pipeline and give its memory back before another one loads."""
    if slot.pipe is None:
        return
    slot.pipe, slot.key = None, None
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def parse_weights(text: str) -> dict[str, str]:
    """RETOUCH_DIFFUSERS_WEIGHTS: `model=/path,model2=/path2` → {model: path}."""
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, path = item.partition("=")
        if not sep:
            raise OptionError(f"RETOUCH_DIFFUSERS_WEIGHTS: {item!r} is not model=path")
        fam = find_family(name)
        out[fam.name if fam else name.strip()] = path.strip()
    return out


def to_pil(arr: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(arr)


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
