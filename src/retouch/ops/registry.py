"""Registry of op implementations: `@register("name")` on a pure function of arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog import CATALOG, OpInfo


@dataclass(frozen=True)
class Frame:
    """Where an array (possibly a horizontal strip) sits in the full image."""

    y0: int
    height: int  # full image height
    width: int  # full image width


@dataclass
class OpContext:
    """What an op may need besides the pixels. Plain data; ops stay pure functions."""

    frame: Frame
    refs: list[np.ndarray] = field(
        default_factory=list
    )  # all inputs, float32 HxWx3|4 in [0,1]; refs[0] is the original
    quality: str = "medium"  # low | medium | high
    mask: np.ndarray | None = None  # float32 HxW, 1 = edit (full image), or None


OpFn = Callable[..., np.ndarray]  # fn(img, ctx, **params) -> img (float32 HxWx3|4 in [0,1])
PrepareFn = Callable[..., dict[str, Any]]  # prepare(img, ctx, **params) -> params (resolve global statistics)


@dataclass(frozen=True)
class RegisteredOp:
    name: str
    fn: OpFn
    info: OpInfo
    prepare: PrepareFn | None = None


OPS: dict[str, RegisteredOp] = {}


def register(name: str, *, prepare: PrepareFn | None = None) -> Callable[[OpFn], OpFn]:
    """Register `fn` as the implementation of catalogue op `name`."""
    if name not in CATALOG:
        raise KeyError(f"op {name!r} is not in the catalogue")

    def deco(fn: OpFn) -> OpFn:
        OPS[name] = RegisteredOp(name, fn, CATALOG[name], prepare)
        return fn

    return deco


def get_op(name: str) -> RegisteredOp:
    """The implementation of `name`; imports op modules until it is registered.

    Checking the name, not whether OPS is empty: importing one op module directly registers
    only its own ops.
    """
    if name not in OPS:
        from . import load_until

        load_until(name, OPS)
    return OPS[name]
