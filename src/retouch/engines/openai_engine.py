"""The `openai` engine: generative edits with GPT Image models through the official `openai` SDK.

What retouch adds to a plain `client.images.edit(...)`:

- each model's rules are checked before anything is billed (input_fidelity, sizes, transparency);
- `size=auto` asks for the supported size closest to the input's aspect, and the result is
  fitted back to the input's size; an explicit `WxH` is met exactly the same way;
- with a mask, pixels outside it are copied back from the input bit for bit (the hosted
  model re-renders the whole image), with a short feather inside the mask;
- streamed partial images reach the progress callback as PNG previews;
- SDK errors become retouch errors (`UpstreamError` with the status retouch should answer);
- usage comes from OpenAI's response, for the ledger.

Images are uploaded re-encoded (EXIF orientation applied, at most 2048 px on the long
side — what the API works from anyway): the first as PNG when a mask must line up with
it or it has alpha, references as JPEG q95 unless they have alpha. Outputs are requested
as PNG and encoded locally into the requested format, so that compositing is lossless and
previews are PNG; a PNG output that needed no post-processing is passed through unchanged.
"""

from __future__ import annotations

import base64
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import OptionError, RetouchError
from ..schema import EditPlan, EditRequest, EditResult, Usage, resolved_quality
from .base import Capabilities, EditCancelled, EditOptions, EngineUnavailable, ProgressFn, UpstreamError
from .generative import (
    Inputs,
    apply_background,
    check_cancel,
    check_common,
    decode_inputs,
    decode_model_image,
    generative_plan,
    jpeg_bytes,
    png_bytes,
    postprocess,
    report,
    resize,
    wanted_model,
)

DEFAULT_MODEL = "gpt-image-2"
#: Seconds to wait for one response, by quality: high quality takes minutes at large sizes.
TIMEOUTS_S = {"low": 120.0, "medium": 300.0, "high": 600.0, "auto": 600.0}
#: The SDK retries 408/409/429/5xx and connection errors with backoff, honouring retry-after.
DEFAULT_MAX_RETRIES = 3
#: Uploads are shrunk to this long side: the API resizes larger inputs down anyway.
UPLOAD_MAX_SIDE = 2048
STANDARD_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
#: Limits of the models that take any WxH (gpt-image-2 and later), from the API reference.
FREE_SIZE_MULTIPLE = 16
FREE_SIZE_MAX_EDGE = 3840
FREE_SIZE_MIN_PIXELS = 655_360
FREE_SIZE_MAX_PIXELS = 3840 * 2160
#: Above 2560x1440 the API calls sizes experimental: retouch stays below unless told otherwise.
FREE_SIZE_DEFAULT_PIXELS = 2560 * 1440
ENGINE_NAMES = ("openai", "auto", "route", "routing")


@dataclass(frozen=True)
class ModelRules:
    """What one GPT Image model accepts."""

    name: str
    input_fidelity: tuple[str, ...] = ()  # values it accepts; () = the parameter must be omitted
    free_sizes: bool = False  # any WxH (multiples of 16) rather than the three standard sizes
    transparency: bool = True
    note: str = ""


#: Known models (prefix match for dated snapshots such as gpt-image-2-2026-04-21).
MODELS: dict[str, ModelRules] = {
    r.name: r
    for r in (
        ModelRules("gpt-image-1", ("low", "high"), note="shut down upstream on 2026-10-23"),
        ModelRules("gpt-image-1-mini", ("low",)),
        ModelRules("gpt-image-1.5", ("low", "high")),
        ModelRules("gpt-image-2", (), free_sizes=True, note="transparency in preview"),
        ModelRules("gpt-image-2.5-sunburst", (), free_sizes=True),
        ModelRules("gpt-image-2.5-flare", (), free_sizes=True),
        ModelRules("gpt-image-2.6-sunburst", (), free_sizes=True),
        ModelRules("gpt-image-2.6-flare", (), free_sizes=True),
        ModelRules("chatgpt-image-latest", ()),
    )
}


def is_openai_model(name: str) -> bool:
    """Whether a model name is OpenAI's (routes `model=gpt-image-…` to this engine)."""
    n = name.strip().lower()
    return n.startswith(("gpt-image-", "chatgpt-image-", "dall-e-"))


def model_rules(model: str) -> ModelRules:
    """The rules of `model`: exact, else its family's (longest prefix), else conservative defaults."""
    m = model.lower()
    if m in MODELS:
        return MODELS[m]
    for name in sorted(MODELS, key=len, reverse=True):
        if m.startswith(name + "-"):
            return ModelRules(
                model,
                **{k: getattr(MODELS[name], k) for k in ("input_fidelity", "free_sizes", "transparency", "note")},
            )
    if m.startswith("dall-e"):
        raise OptionError(
            f"{model} was retired by OpenAI; use a GPT Image model such as {DEFAULT_MODEL}", param="model"
        )
    # Unknown (newer) model: standard sizes work on every GPT Image model; input_fidelity
    # is passed only if the caller asks, and the API decides.
    return ModelRules(model, ("low", "high"), free_sizes=False)


def upstream_size(rules: ModelRules, width: int, height: int, *, max_pixels: int = FREE_SIZE_DEFAULT_PIXELS) -> str:
    """The size to ask for: the exact size if the model can make it, else the closest it can."""
    aspect = width / height
    if not rules.free_sizes:
        w, h = min(STANDARD_SIZES, key=lambda s: abs(math.log((s[0] / s[1]) / aspect)))
        return f"{w}x{h}"
    aspect = min(max(aspect, 1 / 3), 3.0)
    pixels = min(max(width * height, FREE_SIZE_MIN_PIXELS), max_pixels, FREE_SIZE_MAX_PIXELS)
    m = FREE_SIZE_MULTIPLE
    w = min(FREE_SIZE_MAX_EDGE, max(m, round(math.sqrt(pixels * aspect) / m) * m))
    h = min(FREE_SIZE_MAX_EDGE, max(m, round(w / aspect / m) * m))
    while w > 3 * h:  # rounding may have crossed the 3:1 limit
        w -= m
    while h > 3 * w:
        h -= m
    while w * h < FREE_SIZE_MIN_PIXELS:  # rounding down may have left the allowed range
        w, h = (w + m, h) if w / h < aspect else (w, h + m)
    while w * h > min(max_pixels, FREE_SIZE_MAX_PIXELS) and w > m and h > m:
        w, h = (w - m, h) if w / h > aspect else (w, h - m)
    return f"{w}x{h}"


class OpenAIEngine:
    """Generative edits with GPT Image models (needs `pip install 'retouch[openai]'` and a key)."""

    name = "openai"
    request_options = frozenset({"api_key", "input_fidelity", "partial_images", "user", "cancel"})
    capabilities = Capabilities(
        instruction_edit=True,
        mask_inpaint=True,
        max_images=16,
        transparency=True,
        streaming=True,
        generative=True,
        models=tuple(MODELS),
        sizes="gpt-image-1.x: 1024x1024, 1536x1024, 1024x1536; gpt-image-2+: any WxH (multiples of 16); "
        "outputs are fitted to the requested size",
    )

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout_s: float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_pixels: int = FREE_SIZE_DEFAULT_PIXELS,
    ) -> None:
        self.model = model or os.environ.get("RETOUCH_OPENAI_MODEL") or DEFAULT_MODEL
        model_rules(self.model)  # refuses retired models early
        self._api_key = api_key
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.organization = organization
        self.project = project
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_pixels = max_pixels
        self._client: Any = None
        self._client_lock = threading.Lock()

    # ---- registry face

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """A generative model takes any instruction: the plan is one step naming the model."""
        return generative_plan(prompt, self.name, self.model)

    def ready(self) -> tuple[bool, str]:
        """SDK installed and a key configured (no network call)."""
        from importlib.util import find_spec

        if find_spec("openai") is None:
            return False, "the openai SDK is not installed: pip install 'retouch[openai]'"
        key, source = self._key()
        if not key:
            return False, "no API key: set OPENAI_API_KEY (or give one per request)"
        where = self.base_url or "api.openai.com"
        return True, f"model {self.model} at {where}, key from {source}"

    def _key(self) -> tuple[str | None, str]:
        if self._api_key:
            return self._api_key, "settings"
        if os.environ.get("OPENAI_API_KEY"):
            return os.environ["OPENAI_API_KEY"], "OPENAI_API_KEY"
        return None, ""

    # ---- the edit

    def edit(
        self, request: EditRequest, *, progress: ProgressFn | None = None, options: EditOptions | None = None
    ) -> EditResult:
        """Run one edit through the OpenAI Images API and apply retouch's semantics to the result."""
        opts = options or EditOptions()
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        model = wanted_model(request, self.name, ENGINE_NAMES) or self.model
        rules = model_rules(model)
        check_common(request, transparency=rules.transparency, engine=f"openai ({model})")
        params = self._params(request, rules, opts)
        check_cancel(opts)

        t = time.perf_counter()
        inputs = decode_inputs(request)
        files, mask_file = upload_files(inputs)
        size = (
            upstream_size(rules, *inputs.size, max_pixels=self.max_pixels)
            if request.size == "auto"
            else upstream_size(rules, *inputs.target, max_pixels=self.max_pixels)
        )
        timings["prepare"] = _ms(t)
        report(progress, 0.05, f"sending to OpenAI ({model}, {size})")

        client, owned = self._client_for(opts)
        kwargs: dict[str, Any] = dict(
            image=files if len(files) > 1 else files[0],
            prompt=request.prompt,
            model=model,
            n=request.n,
            size=size,
            quality=request.quality,
            output_format="png",
            timeout=self._timeout(request.quality),
            **params,
        )
        if request.background != "auto":
            kwargs["background"] = request.background
        if mask_file is not None:
            kwargs["mask"] = mask_file
        post = _Post(inputs, request, resolved_quality(request.quality))
        t = time.perf_counter()
        try:
            if opts.partial_images > 0 and progress is not None:
                raw, usage, quality_used = self._stream(client, kwargs, opts, progress, post)
            else:
                raw, usage, quality_used = self._call(client, kwargs)
        except RetouchError:
            raise
        except Exception as e:  # the SDK's errors, mapped to retouch's
            raise map_error(e, byok=opts.api_key is not None, timeout_s=kwargs["timeout"]) from None
        finally:
            if owned:
                client.close()
        timings["upstream"] = _ms(t)
        report(progress, 0.9, "received")

        t = time.perf_counter()
        images, (w, h), background = post.final(raw)
        timings["finish"] = _ms(t)
        timings["total"] = _ms(t0)
        report(progress, 1.0, "done")
        quality = (
            quality_used
            if quality_used in ("low", "medium", "high")
            else "high"
            if quality_used in ("xhigh", "max")
            else resolved_quality(request.quality)
        )
        return EditResult(
            images=images,
            output_format=request.output_format,
            width=w,
            height=h,
            quality=quality,
            background=background,
            plan=generative_plan(request.prompt, self.name, model, size=size),
            usage=usage,
            timings_ms=timings,
            engine=self.name,
        )

    def _params(self, request: EditRequest, rules: ModelRules, opts: EditOptions) -> dict[str, Any]:
        """The optional API parameters, checked against the model's rules."""
        out: dict[str, Any] = {}
        if opts.input_fidelity is not None:
            if opts.input_fidelity not in ("low", "high"):
                raise OptionError("input_fidelity must be low or high", param="input_fidelity")
            if not rules.input_fidelity:
                raise OptionError(f"{rules.name} does not take input_fidelity; leave it out", param="input_fidelity")
            if opts.input_fidelity not in rules.input_fidelity:
                raise OptionError(
                    f"{rules.name} takes input_fidelity {' or '.join(rules.input_fidelity)} only",
                    param="input_fidelity",
                )
            out["input_fidelity"] = opts.input_fidelity
        if not 0 <= opts.partial_images <= 3:
            raise OptionError("partial_images must be 0 to 3", param="partial_images")
        if opts.user:
            out["safety_identifier"] = opts.user
        return out

    def _timeout(self, quality: str) -> float:
        return self.timeout_s if self.timeout_s is not None else TIMEOUTS_S.get(quality, 600.0)

    def _client_for(self, opts: EditOptions) -> tuple[Any, bool]:
        """The shared client, or a short-lived one for a per-request key (closed after use)."""
        try:
            import openai
        except ImportError:
            raise EngineUnavailable("the openai engine needs the openai SDK: pip install 'retouch[openai]'") from None
        common = dict(
            base_url=self.base_url,
            organization=self.organization,
            project=self.project,
            max_retries=self.max_retries,
        )
        if opts.api_key:
            return openai.OpenAI(api_key=opts.api_key, **common), True
        with self._client_lock:
            if self._client is None:
                key, _ = self._key()
                if not key:
                    raise EngineUnavailable(
                        "the openai engine has no API key: set OPENAI_API_KEY (or give one with the request)"
                    )
                self._client = openai.OpenAI(api_key=key, **common)
            return self._client, False

    @staticmethod
    def _call(client: Any, kwargs: dict[str, Any]) -> tuple[list[bytes], Usage, str | None]:
        resp = client.images.edit(**kwargs)
        data = [d.b64_json for d in (resp.data or []) if d.b64_json]
        if not data:
            raise UpstreamError("OpenAI returned no image", status=502)
        return [base64.b64decode(b) for b in data], usage_from(resp.usage), resp.quality

    @staticmethod
    def _stream(
        client: Any, kwargs: dict[str, Any], opts: EditOptions, progress: ProgressFn, post: _Post
    ) -> tuple[list[bytes], Usage, str | None]:
        """Stream: partial images become PNG previews (fitted and composited like the result)."""
        partials = opts.partial_images
        finals: list[bytes] = []
        usage = Usage()
        quality: str | None = None
        stream = client.images.edit(stream=True, partial_images=partials, **kwargs)
        try:
            for event in stream:
                if opts.cancel is not None and opts.cancel.is_set():
                    raise EditCancelled("the edit was canceled")
                if event.type == "image_edit.partial_image":
                    k = event.partial_image_index
                    preview = post.preview(base64.b64decode(event.b64_json))
                    report(
                        progress,
                        0.1 + 0.75 * (k + 1) / (partials + 1),
                        f"partial image {k + 1}/{partials}",
                        preview,
                    )
                elif event.type == "image_edit.completed":
                    finals.append(base64.b64decode(event.b64_json))
                    usage = add_usage(usage, usage_from(event.usage))
                    quality = event.quality
        finally:
            stream.close()
        if not finals:
            raise UpstreamError("OpenAI's stream ended without an image", status=502)
        return finals, usage, quality


class _Post:
    """Post-processing of upstream images: fit to the input, mask composite, size, format."""

    def __init__(self, inputs: Inputs, request: EditRequest, quality: str) -> None:
        self.inputs = inputs
        self.request = request
        self.quality = quality

    def array(self, data: bytes) -> np.ndarray:
        out = decode_model_image(data)
        return apply_background(postprocess(out, self.inputs, self.quality), self.request.background)

    def preview(self, data: bytes) -> bytes:
        return png_bytes(self.array(data))

    def final(self, raw: list[bytes]) -> tuple[list[bytes], tuple[int, int], str]:
        from ..imaging import encode_image

        r = self.request
        images: list[bytes] = []
        size, alpha = (0, 0), False
        for data in raw:
            arr = decode_model_image(data)
            untouched = (
                (arr.shape[1], arr.shape[0]) == self.inputs.target
                and self.inputs.mask is None
                and not (r.background == "opaque" and arr.shape[2] == 4)
            )
            if untouched and r.output_format == "png" and r.output_compression is None:
                images.append(data)  # already what was asked for: no re-encode
            else:
                arr = apply_background(postprocess(arr, self.inputs, self.quality), r.background)
                images.append(
                    encode_image(arr, r.output_format, compression=r.output_compression, quality=self.quality)
                )
            size, alpha = (arr.shape[1], arr.shape[0]), arr.shape[2] == 4
        return images, size, "transparent" if alpha else "opaque"


def upload_files(inputs: Inputs) -> tuple[list[tuple[str, bytes, str]], tuple[str, bytes, str] | None]:
    """The images (and the mask in OpenAI's convention: alpha 0 = edit) as multipart files."""
    files = []
    scale = min(1.0, UPLOAD_MAX_SIDE / max(inputs.size))
    for i, im in enumerate(inputs.images):
        s = min(1.0, UPLOAD_MAX_SIDE / max(im.shape[:2]))
        small = resize(im, (max(1, round(im.shape[1] * s)), max(1, round(im.shape[0] * s)))) if s < 1 else im
        if im.shape[2] == 4 or (i == 0 and inputs.mask is not None):
            files.append((f"image-{i + 1}.png", png_bytes(small, 3), "image/png"))
        else:
            files.append((f"image-{i + 1}.jpg", jpeg_bytes(small), "image/jpeg"))
    mask_file = None
    if inputs.mask is not None:
        w, h = inputs.size
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        m = resize(inputs.mask.astype(np.float32), size) if scale < 1 else inputs.mask
        rgba = np.zeros((*m.shape[:2], 4), np.uint8)
        rgba[..., 3] = np.where(m > 0.5, 0, 255).astype(np.uint8)  # transparent = edit
        mask_file = ("mask.png", png_bytes(rgba, 6), "image/png")
    return files, mask_file


def usage_from(u: Any) -> Usage:
    """retouch's Usage from the SDK's usage object (either shape, or None)."""
    if u is None:
        return Usage()
    details = getattr(u, "input_tokens_details", None)
    return Usage(
        input_tokens=u.input_tokens or 0,
        output_tokens=u.output_tokens or 0,
        input_image_tokens=getattr(details, "image_tokens", 0) or 0,
        input_text_tokens=getattr(details, "text_tokens", 0) or 0,
    )


def add_usage(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        input_image_tokens=a.input_image_tokens + b.input_image_tokens,
        input_text_tokens=a.input_text_tokens + b.input_text_tokens,
    )


def map_error(e: Exception, *, byok: bool = False, timeout_s: float | None = None) -> RetouchError:
    """A retouch error for an exception of the openai SDK (anything else: an EngineError)."""
    import openai

    if isinstance(e, openai.APITimeoutError):
        return UpstreamError(
            f"OpenAI did not answer within {timeout_s:g} s; try again or lower the quality",
            status=504,
            code="upstream_timeout",
        )
    if isinstance(e, openai.APIConnectionError):
        return UpstreamError(
            f"cannot reach the OpenAI API: {e.__cause__ or e.message}",
            status=502,
            code="upstream_unreachable",
        )
    if isinstance(e, openai.APIStatusError):
        s = e.status_code
        msg = _upstream_message(e)
        if s == 429:
            retry = _retry_after(e.response.headers)
            if e.code == "insufficient_quota":
                return UpstreamError(f"OpenAI: {msg}", status=429 if byok else 503, code="insufficient_quota")
            return UpstreamError(
                f"OpenAI rate limit: {msg}",
                status=429,
                code=e.code or "rate_limit_exceeded",
                retry_after=retry,
                upstream_status=s,
            )
        if s in (401, 403):
            if byok:
                return UpstreamError(
                    f"OpenAI rejected the API key given with the request: {msg}",
                    status=401,
                    code=e.code or "invalid_api_key",
                    upstream_status=s,
                )
            return UpstreamError(
                f"the openai engine's API key was rejected by OpenAI ({s}): {msg}",
                status=503,
                code="engine_unavailable",
                upstream_status=s,
            )
        if s >= 500:
            return UpstreamError(
                f"OpenAI failed ({s}): {msg}", status=502, code=e.code or "upstream_error", upstream_status=s
            )
        if s == 404:
            return UpstreamError(
                f"OpenAI: {msg}",
                status=400,
                code=e.code or "model_not_found",
                param=e.param or "model",
                upstream_status=s,
            )
        return UpstreamError(
            f"OpenAI refused the request: {msg}",
            status=400,
            code=e.code or "invalid_request",
            param=e.param,
            upstream_status=s,
        )
    if isinstance(e, openai.APIError):  # an error event inside a stream
        return UpstreamError(f"OpenAI: {e.message}", status=502, code=e.code or "upstream_error")
    from ..errors import EngineError

    return EngineError(f"openai engine: {type(e).__name__}: {e}")


def _upstream_message(e: Any) -> str:
    body = e.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(e.message)


def _retry_after(headers: Any) -> float | None:
    for name, div in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        v = headers.get(name)
        if v is not None:
            try:
                return float(v) / div
            except ValueError:
                return None
    return None


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
