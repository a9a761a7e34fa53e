"""`model=auto`: the parts of an instruction the builtin engine does exactly run there; the rest
goes to the configured generative engine.

    "add sunglasses and increase contrast by 30%"
      → generative: "add sunglasses"            (openai or diffusers)
      → builtin:    "increase contrast by 30%"  (exact, on the generative result)

How an instruction is split
  It is cut into units at commas, semicolons, sentence ends and the words "and", "then",
  "also", "plus", "after that"... Then, from left to right, the longest run of units that
  the builtin planner accepts as a whole becomes one builtin part (so "black and white"
  or "reduce the contrast and saturation" stay together); a unit it refuses becomes a
  generative part. An instruction the planner accepts whole never reaches a generative engine.

Order of the parts
  Generative parts run first and builtin parts after, on the result: builtin edits are
  exact (amounts, sizes, text, transparency) and a generative model would re-render them.
  Where the user orders explicitly ("crop to a square, then add a hat"), "then" and its
  kin start a new group, and groups run in the user's order (each group: generative, then
  builtin). Adjacent parts for the same engine run as one edit.

Without a generative engine
  Refused before any work, naming the parts that need one and the parts that would run.

Which generative engine
  `configure_engine("auto", generative="openai")`, or RETOUCH_GENERATIVE_ENGINE
  (`openai`, `diffusers`, `diffusers:flux-kontext`, `none`); by default the first of openai,
  diffusers that is ready (a key is set; weights are on disk).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import UnsupportedInstruction
from ..schema import EditPlan, EditRequest, EditResult, PlanStep, Usage
from .base import Capabilities, EditOptions, Engine, ProgressFn
from .generative import GENERATE_OP

Kind = Literal["builtin", "generative"]

#: Separators between units; the `then` group marks an explicit order.
_SEQUENTIAL = r"(?:,?\s*(?:and\s+)?(?:then|after\s+that|afterwards|afterward|next|finally|lastly)\b,?)"
_PARALLEL = r"(?:[,;]\s*(?:and|also|plus)?\b|\.\s+|\s+(?:and|also|plus|as\s+well\s+as)\b)"
_SPLIT = re.compile(rf"\s*(?P<sep>{_SEQUENTIAL}|{_PARALLEL})\s*", re.IGNORECASE)
#: Planner calls on long instructions are O(n²) in units: beyond this, units are not merged.
MAX_UNITS_TO_MERGE = 24


@dataclass
class Unit:
    text: str
    sequential: bool  # a "then"-like separator comes before it
    start: int = 0  # where it lies in the instruction (runs of units keep the user's words)
    end: int = 0


@dataclass
class Part:
    """A run of the instruction for one engine."""

    kind: Kind
    text: str
    group: int  # explicit-order group ("then" starts a new one)
    plan: EditPlan | None = None  # builtin parts: the planner's plan
    reason: str = ""  # generative parts: why the builtin engine refused


@dataclass
class Route:
    """The parts of an instruction in the order they run."""

    prompt: str
    parts: list[Part] = field(default_factory=list)

    @property
    def generative(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "generative"]

    @property
    def builtin(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "builtin"]


def split_units(prompt: str) -> list[Unit]:
    """Cut an instruction at commas, "and", "then"...; quoted text is never cut."""
    # Quoted text is blanked (same length, so offsets stay valid) while looking for separators.
    masked = re.sub(r"\"[^\"]*\"|“[^”]*”|'[^']*'(?!\w)", lambda m: "\x00" * len(m.group(0)), prompt)
    units: list[Unit] = []
    pos, sequential = 0, False
    for m in [*_SPLIT.finditer(masked), None]:
        end = m.start() if m is not None else len(prompt)
        a, b = pos, end
        while a < b and prompt[a] in " .;,\n\t":
            a += 1
        while b > a and prompt[b - 1] in " .;,\n\t":
            b -= 1
        if b > a:
            units.append(Unit(prompt[a:b], sequential, a, b))
            sequential = False
        if m is not None:
            sequential = sequential or bool(re.match(_SEQUENTIAL, m.group("sep").strip(), re.IGNORECASE))
            pos = m.end()
    return units


def route(prompt: str, *, n_images: int = 1, has_mask: bool = False) -> Route:
    """Split `prompt` into builtin and generative parts, in the order they will run."""
    from ..planner import plan_from_text

    def try_plan(text: str) -> tuple[EditPlan | None, str]:
        try:
            return plan_from_text(text, n_images=n_images, has_mask=has_mask), ""
        except UnsupportedInstruction as e:
            return None, e.message

    whole, reason = try_plan(prompt)
    if whole is not None:
        return Route(prompt, [Part("builtin", prompt.strip(), 0, whole)])
    units = split_units(prompt)
    if len(units) <= 1:
        return Route(prompt, [Part("generative", prompt.strip(), 0, reason=reason)])

    found: list[Part] = []
    group, i = 0, 0
    while i < len(units):
        if units[i].sequential:
            group += 1
        best: tuple[int, EditPlan] | None = None
        last = len(units) - 1 if len(units) <= MAX_UNITS_TO_MERGE else i
        for j in range(last, i - 1, -1):  # the longest run the planner accepts
            plan, why = try_plan(join(units[i : j + 1], prompt))
            if plan is not None:
                best = (j, plan)
                break
            if j == i:
                reason = why
        if best is None:
            found.append(Part("generative", units[i].text, group, reason=reason))
            i += 1
        else:
            j, plan = best
            found.append(Part("builtin", join(units[i : j + 1], prompt), group, plan))
            group += sum(u.sequential for u in units[i + 1 : j + 1])
            i = j + 1
    return Route(prompt, order(found, n_images=n_images, has_mask=has_mask))


def join(units: list[Unit], prompt: str) -> str:
    """The user's own words from the first unit to the last."""
    return prompt[units[0].start : units[-1].end]


def order(parts: list[Part], *, n_images: int, has_mask: bool) -> list[Part]:
    """Groups in the user's order; in each, generative first; adjacent parts of one kind merged."""
    from ..planner import plan_from_text

    ordered = sorted(parts, key=lambda p: (p.group, p.kind != "generative"))
    merged: list[Part] = []
    for p in ordered:
        if merged and merged[-1].kind == p.kind:
            prev = merged[-1]
            sep = ", then " if p.group != prev.group else ", "
            text = prev.text + sep + p.text
            plan = None
            if p.kind == "builtin":
                assert prev.plan is not None and p.plan is not None
                plan = EditPlan(prompt=text, steps=prev.plan.steps + p.plan.steps)
            merged[-1] = Part(p.kind, text, p.group, plan, prev.reason or p.reason)
        else:
            merged.append(p)
    for p in merged:  # a merged builtin text must still plan as one (it does: its parts did)
        if p.kind == "builtin" and p.plan is None:
            p.plan = plan_from_text(p.text, n_images=n_images, has_mask=has_mask)
    return merged


class RoutingEngine:
    """`auto`: builtin for what it does exactly, a generative engine for the rest."""

    name = "auto"
    #: handed on to the generative engine
    request_options = frozenset(
        {"api_key", "input_fidelity", "partial_images", "user", "seed", "steps", "guidance_scale",
         "negative_prompt", "cancel"}
    )

    def __init__(self, generative: str | None = None) -> None:
        setting = generative or os.environ.get("RETOUCH_GENERATIVE_ENGINE") or ""
        self.generative_setting = setting.strip().lower() or None

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        gen = self.generative_engine()
        caps = gen.capabilities if gen is not None else None
        return Capabilities(
            instruction_edit=True,
            mask_inpaint=True,
            max_images=16,
            transparency=True,
            streaming=bool(caps and caps.streaming),
            generative=caps is not None,
            models=("auto",) + (caps.models if caps else ()),
        )

    def generative_engine(self) -> Engine | None:
        """The configured generative engine, or None (explicit `none`, or nothing ready)."""
        from .registry import get_engine

        if self.generative_setting == "none":
            return None
        if self.generative_setting:
            return get_engine(self.generative_setting)
        for name in ("openai", "diffusers"):
            eng = get_engine(name)
            if eng.ready()[0]:
                return eng
        return None

    def ready(self) -> tuple[bool, str]:
        gen = self.generative_engine()
        if gen is None:
            return True, "builtin only (no generative engine configured: generative parts are refused)"
        ok, why = gen.ready()
        return True, f"builtin + {gen.name}" + ("" if ok else f" (not ready: {why})")

    def route(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> tuple[Route, Engine | None]:
        """The route, and the generative engine; refuses if parts need one and none is configured."""
        r = route(prompt, n_images=n_images, has_mask=has_mask)
        gen = self.generative_engine() if r.generative else None
        if r.generative and gen is None:
            raise refusal(r)
        return r, gen

    def plan(self, prompt: str, *, n_images: int = 1, has_mask: bool = False) -> EditPlan:
        """The combined plan: generative steps (engine, model) and builtin steps, in run order."""
        r, gen = self.route(prompt, n_images=n_images, has_mask=has_mask)
        return combined_plan(r, gen)

    def edit(
        self, request: EditRequest, *, progress: ProgressFn | None = None, options: EditOptions | None = None
    ) -> EditResult:
        """Run the parts in order; intermediates are lossless PNG, options apply to the last part."""
        from .registry import get_engine

        t0 = time.perf_counter()
        r, gen = self.route(request.prompt, n_images=len(request.images), has_mask=request.mask is not None)
        builtin = get_engine("builtin")
        refs = request.images[1:]
        variants = [request.images[0]]
        usage = Usage()
        timings: dict[str, float] = {}
        last: EditResult | None = None
        for k, part in enumerate(r.parts):
            final = k == len(r.parts) - 1
            eng = gen if part.kind == "generative" else builtin
            assert eng is not None
            # A generative part makes the n variants; builtin parts are deterministic, so they
            # make one output per variant (or all n copies at once, as the builtin engine does).
            per_variant = part.kind == "builtin" or len(variants) > 1
            n = request.n if (not per_variant or (final and len(variants) == 1)) else 1
            outputs: list[bytes] = []
            t = time.perf_counter()
            for vi, v in enumerate(variants):
                sub = _scaled(
                    progress,
                    k + vi / len(variants),
                    len(r.parts) * len(variants),
                    len(r.parts),
                    f"{part.kind} ({eng.name})",
                )
                sub_req = request.model_copy(
                    update=dict(
                        images=[v, *refs],
                        prompt=part.text,
                        n=n,
                        engine=eng.name,
                        model=None,
                        size=request.size if final else "auto",
                        output_format=request.output_format if final else "png",
                        output_compression=request.output_compression if final else None,
                        background=request.background if final else "auto",
                    )
                )
                if part.kind == "generative":
                    last = eng.edit(sub_req, progress=sub, options=options)  # type: ignore[call-arg]
                else:
                    last = eng.edit(sub_req, progress=sub)
                outputs += last.images
                usage = _add(usage, last.usage)
            timings[f"{k + 1}:{eng.name}"] = round((time.perf_counter() - t) * 1000, 2)
            variants = outputs
        assert last is not None
        timings["total"] = round((time.perf_counter() - t0) * 1000, 2)
        if progress is not None:
            progress(1.0, "done", None)
        return last.model_copy(
            update=dict(images=variants, plan=combined_plan(r, gen), usage=usage, timings_ms=timings, engine=self.name)
        )


def combined_plan(r: Route, gen: Engine | None) -> EditPlan:
    steps: list[PlanStep] = []
    for p in r.parts:
        if p.kind == "builtin":
            assert p.plan is not None
            steps += p.plan.steps
        else:
            model = getattr(gen, "model", None) or getattr(getattr(gen, "family", None), "name", None) or ""
            steps.append(
                PlanStep(op=GENERATE_OP, params={"engine": gen.name if gen else "", "model": model}, text=p.text)
            )
    return EditPlan(prompt=r.prompt, steps=steps)


def refusal(r: Route) -> UnsupportedInstruction:
    """The error for generative parts without a generative engine: names them, and what would run."""
    gen = "; ".join(f"“{p.text}”" for p in r.generative)
    msg = (
        f"{gen} {'needs' if len(r.generative) == 1 else 'need'} a generative engine and none is configured "
        "(set OPENAI_API_KEY for openai, or install retouch[diffusers] with local weights)"
    )
    if r.builtin:
        msg += "; the builtin engine can do the rest: " + "; ".join(f"“{p.text}”" for p in r.builtin)
    return UnsupportedInstruction(msg, fragment="; ".join(p.text for p in r.generative), engine_hint="generative")


def _scaled(progress: ProgressFn | None, start: float, span: float, parts: int, stage: str) -> ProgressFn | None:
    """Progress of one sub-edit mapped into [start, start + 1/span) of `parts` parts."""
    if progress is None:
        return None

    def sub(f: float, s: str, partial: bytes | None) -> None:
        progress(min(0.999, start / parts + f / span), f"{stage}: {s}", partial)

    return sub


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        input_image_tokens=a.input_image_tokens + b.input_image_tokens,
        input_text_tokens=a.input_text_tokens + b.input_text_tokens,
    )


def describe(r: Route) -> list[dict[str, Any]]:
    """The route as data (for `retouch explain`, logs, the API)."""
    return [{"engine": p.kind, "text": p.text} for p in r.parts]
