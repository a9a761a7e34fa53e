"""The planner: a natural-language instruction → a typed EditPlan (rule-based, offline, deterministic).

`plan_from_text("raise the contrast by 20% and add a gentle vignette")` returns the steps the
builtin engine will run, or raises `UnsupportedInstruction` naming the fragment it cannot do.
"""

from __future__ import annotations

from .amounts import AMOUNTS_TABLE, DEFAULT_AMOUNTS, LEVELS, default_amount
from .lexicon import phrasebook
from .plan import plan_from_text
from .regions import REGION_WORDS_DOC

__all__ = [
    "AMOUNTS_TABLE",
    "DEFAULT_AMOUNTS",
    "LEVELS",
    "REGION_WORDS_DOC",
    "default_amount",
    "phrasebook",
    "plan_from_text",
]
